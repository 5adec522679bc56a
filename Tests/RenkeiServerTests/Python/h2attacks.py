#!/usr/bin/env python3
"""HTTP/2 attacks on the platform server, each on its own mutual-TLS connection (h2 and hyperframe from PyPI):

  bomb           a Send whose one gRPC message is gzip of 256 MiB of zeros (about 256 KB on the wire)
  pings          20,000 PING frames as fast as they go
  resets         3,000 streams opened and reset at once ("rapid reset")
  continuations  one header block cut into thousands of 16-byte CONTINUATION frames
  empty_data     a stream of empty DATA frames
  tiny_data      a Send message delivered in 20,000 one-byte DATA frames

Prints one line of JSON: for each attack, whether the server closed the connection, the GOAWAY code it sent,
and for the bomb and tiny_data the gRPC status it answered. Usage: h2attacks.py --port P --dir D
(D holds ca.pem, office.pem with its chain, office.key).
"""
import argparse
import json
import os
import socket
import ssl
import struct
import time
import zlib

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import hpack
from hyperframe.frame import ContinuationFrame, DataFrame, HeadersFrame, SettingsFrame

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def tls(port, folder):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(os.path.join(folder, "ca.pem"))
    context.load_cert_chain(os.path.join(folder, "office.pem"), os.path.join(folder, "office.key"))
    context.set_alpn_protocols(["h2"])
    return context.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10), server_hostname="127.0.0.1")


def grpc_headers(method, extra=()):
    return [(":method", "POST"), (":scheme", "https"), (":path", method), (":authority", "127.0.0.1"),
            ("content-type", "application/grpc"), ("te", "trailers"), *extra]


class Connection:
    """An h2 client connection that records what the server did to it."""

    def __init__(self, port, folder):
        self.sock = tls(port, folder)
        self.h2 = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        self.h2.initiate_connection()
        self.closed = False
        self.goaway = None
        self.headers = {}
        self.ended = set()
        self.pongs = 0
        self.flush()

    def flush(self):
        data = self.h2.data_to_send()
        if data and not self.closed:
            try:
                self.sock.sendall(data)
            except OSError:
                self.closed = True

    def pump(self, seconds, until=lambda: False):
        deadline = time.time() + seconds
        while not self.closed and not until() and time.time() < deadline:
            self.sock.settimeout(max(0.05, min(0.5, deadline - time.time())))
            try:
                data = self.sock.recv(1 << 16)
            except socket.timeout:
                continue
            except OSError:
                self.closed = True
                break
            if not data:
                self.closed = True
                break
            try:
                events = self.h2.receive_data(data)
            except h2.exceptions.ProtocolError:
                self.closed = True
                break
            for event in events:
                if isinstance(event, h2.events.ConnectionTerminated):
                    self.goaway = int(event.error_code)
                elif isinstance(event, h2.events.PingAckReceived):
                    self.pongs += 1
                elif isinstance(event, (h2.events.ResponseReceived, h2.events.TrailersReceived)):
                    self.headers.setdefault(event.stream_id, {}).update(dict(event.headers))
                elif isinstance(event, (h2.events.StreamEnded, h2.events.StreamReset)):
                    self.ended.add(event.stream_id)
            self.flush()

    def send(self, stream, data, end):
        """Sends `data` on `stream` as flow control allows; stops if the stream or connection ends."""
        offset = 0
        while offset < len(data) and not self.closed and stream not in self.ended:
            room = min(self.h2.local_flow_control_window(stream), self.h2.max_outbound_frame_size, len(data) - offset)
            if room <= 0:
                self.pump(0.2)
                continue
            try:
                self.h2.send_data(stream, data[offset:offset + room])
            except h2.exceptions.StreamClosedError:
                break
            offset += room
            self.flush()
        if end and not self.closed and stream not in self.ended:
            try:
                self.h2.end_stream(stream)
                self.flush()
            except h2.exceptions.StreamClosedError:
                pass

    def report(self, stream=None):
        result = {"closed": self.closed, "goaway": self.goaway}
        if stream is not None:
            result["grpc_status"] = self.headers.get(stream, {}).get("grpc-status")
            result["stream_ended"] = stream in self.ended
        try:
            self.sock.close()
        except OSError:
            pass
        return result


def bomb(port, folder):
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(1 << 20)
    payload = b"".join(compressor.compress(zeros) for _ in range(256)) + compressor.flush()
    connection = Connection(port, folder)
    stream = connection.h2.get_next_available_stream_id()
    connection.h2.send_headers(stream, grpc_headers("/renkei.v1.OfficeService/Send", [("grpc-encoding", "gzip"), ("grpc-accept-encoding", "gzip")]))
    connection.flush()
    connection.send(stream, b"\x01" + struct.pack(">I", len(payload)) + payload, end=True)
    connection.pump(15, until=lambda: stream in connection.ended)
    result = connection.report(stream)
    result["wire_bytes"] = len(payload)
    return result


def pings(port, folder):
    connection = Connection(port, folder)
    sent = 0
    for n in range(20_000):
        try:
            connection.h2.ping(struct.pack(">Q", n))
        except h2.exceptions.ProtocolError:
            break  # the server has ended the connection
        sent += 1
        if n % 200 == 0:
            connection.flush()
            connection.pump(0.001)
    connection.flush()
    connection.pump(10, until=lambda: connection.goaway is not None)
    pongs = connection.pongs
    result = connection.report()
    result["pongs"] = pongs
    result["sent"] = sent
    return result


def resets(port, folder):
    connection = Connection(port, folder)
    for n in range(3_000):
        if connection.closed:
            break
        stream = connection.h2.get_next_available_stream_id()
        try:
            connection.h2.send_headers(stream, grpc_headers("/renkei.v1.OfficeService/GetServerInfo"))
            connection.h2.reset_stream(stream, h2.errors.ErrorCodes.CANCEL)
        except h2.exceptions.ProtocolError:
            break
        if n % 50 == 0:
            connection.flush()
            connection.pump(0.001)
    connection.flush()
    connection.pump(10, until=lambda: connection.goaway is not None)
    return connection.report()


def raw_connection(port, folder):
    sock = tls(port, folder)
    sock.sendall(PREFACE + SettingsFrame(0).serialize())
    return sock


def wait_closed(sock, seconds):
    """Reads until the server closes; returns (closed, goaway code if one came)."""
    deadline, received = time.time() + seconds, b""
    while time.time() < deadline:
        sock.settimeout(0.5)
        try:
            data = sock.recv(1 << 16)
        except socket.timeout:
            continue
        except OSError:
            return True, goaway_code(received)
        if not data:
            return True, goaway_code(received)
        received += data
    return False, goaway_code(received)


def goaway_code(received):
    """The error code of the first GOAWAY frame among the frames received, if any."""
    offset = 0
    while offset + 9 <= len(received):
        length = int.from_bytes(received[offset:offset + 3], "big")
        kind = received[offset + 3]
        if kind == 0x7 and offset + 9 + 8 <= len(received):
            return int.from_bytes(received[offset + 13:offset + 17], "big")
        offset += 9 + length
    return None


def continuations(port, folder):
    sock = raw_connection(port, folder)
    block = hpack.Encoder().encode(grpc_headers("/renkei.v1.OfficeService/GetServerInfo") + [("x-pad", "a" * 100_000)])
    frames = [HeadersFrame(1, block[:64])]
    for offset in range(64, len(block), 16):
        frames.append(ContinuationFrame(1, block[offset:offset + 16]))
    frames[-1].flags.add("END_HEADERS")
    try:
        for frame in frames:
            sock.sendall(frame.serialize())
    except OSError:
        pass
    closed, goaway = wait_closed(sock, 10)
    return {"closed": closed, "goaway": goaway, "frames": len(frames)}


def empty_data(port, folder):
    sock = raw_connection(port, folder)
    block = hpack.Encoder().encode(grpc_headers("/renkei.v1.OfficeService/GetServerInfo"))
    try:
        sock.sendall(HeadersFrame(1, block, flags=["END_HEADERS"]).serialize())
        for _ in range(1_000):
            sock.sendall(DataFrame(1, b"").serialize())
    except OSError:
        pass
    closed, goaway = wait_closed(sock, 10)
    return {"closed": closed, "goaway": goaway}


def tiny_data(port, folder):
    connection = Connection(port, folder)
    stream = connection.h2.get_next_available_stream_id()
    connection.h2.send_headers(stream, grpc_headers("/renkei.v1.OfficeService/Send"))
    message = b"\x00" + struct.pack(">I", 20_000) + b"\x00" * 20_000
    for offset in range(0, len(message)):
        if connection.closed or stream in connection.ended:
            break
        try:
            connection.h2.send_data(stream, message[offset:offset + 1])
        except (h2.exceptions.StreamClosedError, h2.exceptions.FlowControlError):
            connection.pump(0.2)
            continue
        if offset % 500 == 0:
            connection.flush()
            connection.pump(0.001)
    try:
        connection.h2.end_stream(stream)
    except h2.exceptions.ProtocolError:
        pass
    connection.flush()
    connection.pump(10, until=lambda: stream in connection.ended)
    return connection.report(stream)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    arguments = parser.parse_args()
    results = {}
    for attack in (bomb, pings, resets, continuations, empty_data, tiny_data):
        started = time.time()
        results[attack.__name__] = attack(arguments.port, arguments.dir)
        results[attack.__name__]["seconds"] = round(time.time() - started, 2)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
