#!/usr/bin/env python3
"""A care-software vendor's client in another language, written from API.md and the .proto files alone.

Generates Python code from Sources/RenkeiAPI/Protos with grpcio-tools, then over mutual TLS:
the sending office checks the server, writes the canonical manifest of its files, signs it with the
`openssl cms` command and sends the unit (header, then 1 MiB chunks); the recipient finds it in its
inbox, downloads every file, checks each SHA-256 and the sender's signature (`openssl cms -verify`),
acknowledges the download, and reads the Renkei error detail of a refused withdrawal from the trailers.
Prints one line of JSON. Usage: exchange.py --port P --dir D --protos DIR --sender N --recipient N
"""
import argparse, hashlib, json, os, subprocess, sys


def generate(protos, out):
    from grpc_tools import protoc
    import grpc_tools
    os.makedirs(out, exist_ok=True)
    include = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
    files = [os.path.join(root, name) for root, _, names in os.walk(protos) for name in names if name.endswith(".proto")]
    code = protoc.main(["protoc", f"-I{protos}", f"-I{include}", f"--python_out={out}", f"--grpc_python_out={out}", *files])
    if code != 0:
        sys.exit(f"protoc failed ({code})")
    sys.path.insert(0, out)


def channel(port, folder, who):
    import grpc
    read = lambda name: open(os.path.join(folder, name), "rb").read()
    credentials = grpc.ssl_channel_credentials(root_certificates=read("ca.pem"), private_key=read(f"{who}.key"),
                                               certificate_chain=read(f"{who}.pem"))
    return grpc.secure_channel(f"127.0.0.1:{port}", credentials)


def manifest(sender, recipient, unit, files):
    """The canonical manifest (API.md, "The manifest"): UTF-8, LF line ends, files sorted by name."""
    lines = ["renkei-send-unit-manifest/v1", f"sender {sender}", f"recipient {recipient}", f"unit {unit}"]
    for name in sorted(files, key=lambda n: n.encode()):
        data = files[name]
        kind = name.split("_")[0] if name.upper().endswith(".CSV") else {"pdf": "PDF", "jpg": "JPEG", "jpeg": "JPEG", "png": "PNG"}[name.rsplit(".", 1)[1].lower()]
        lines.append(f"file {kind} {len(data)} {hashlib.sha256(data).hexdigest()} {name}")
    return ("\n".join(lines) + "\n").encode()


def main():
    parser = argparse.ArgumentParser()
    for option in ("--port", "--dir", "--protos", "--sender", "--recipient", "--unit"):
        parser.add_argument(option, required=True)
    args = parser.parse_args()
    folder = args.dir
    generate(args.protos, os.path.join(folder, "gen"))
    from renkei.v1 import common_pb2, office_pb2, office_pb2_grpc
    import grpc

    sender = office_pb2_grpc.OfficeServiceStub(channel(args.port, folder, "sender"))
    recipient = office_pb2_grpc.OfficeServiceStub(channel(args.port, folder, "recipient"))
    info = sender.GetServerInfo(office_pb2.GetServerInfoRequest(), timeout=30)

    outgoing = os.path.join(folder, "files")
    files = {name: open(os.path.join(outgoing, name), "rb").read() for name in os.listdir(outgoing)}
    text = manifest(args.sender, args.recipient, args.unit, files)
    open(os.path.join(folder, "manifest"), "wb").write(text)
    subprocess.run(["openssl", "cms", "-sign", "-binary", "-nosmimecap", "-md", "sha256", "-in", os.path.join(folder, "manifest"),
                    "-signer", os.path.join(folder, "sender-leaf.pem"), "-inkey", os.path.join(folder, "sender.key"),
                    "-certfile", os.path.join(folder, "chain.pem"), "-outform", "DER", "-out", os.path.join(folder, "signature.der")],
                   check=True)
    signature = open(os.path.join(folder, "signature.der"), "rb").read()

    chunk = info.limits.max_chunk_bytes or (1 << 20)
    ordered = sorted(files, key=lambda n: n.encode())

    def requests():
        yield office_pb2.SendRequest(header=office_pb2.SendHeader(recipient=args.recipient, manifest=text, signature=signature,
                                                                  idempotency_key="python-1"))
        for index, name in enumerate(ordered):
            data = files[name]
            for offset in range(0, len(data), chunk):
                yield office_pb2.SendRequest(chunk=office_pb2.FileChunk(file_index=index, data=data[offset:offset + chunk]))

    receipt = sender.Send(requests(), timeout=60)

    inbox = recipient.ListInbox(office_pb2.ListMailboxRequest(), timeout=30)
    unit_ids = [unit.unit_id for unit in inbox.units]
    detail = recipient.GetUnit(office_pb2.GetUnitRequest(unit_id=receipt.unit_id), timeout=30)
    same = True
    for file in detail.files:
        data = b"".join(part.data for part in recipient.Download(office_pb2.DownloadRequest(unit_id=receipt.unit_id, file_name=file.name), timeout=60))
        same = same and hashlib.sha256(data).digest() == file.sha256 and data == files[file.name]
    open(os.path.join(folder, "received-manifest"), "wb").write(detail.manifest)
    open(os.path.join(folder, "received-signature.der"), "wb").write(detail.signature)
    verified = subprocess.run(["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", os.path.join(folder, "received-signature.der"),
                               "-content", os.path.join(folder, "received-manifest"), "-CAfile", os.path.join(folder, "ca.pem"),
                               "-purpose", "any", "-out", os.devnull], capture_output=True).returncode == 0
    recipient.AcknowledgeDownload(office_pb2.AcknowledgeDownloadRequest(unit_id=receipt.unit_id), timeout=30)

    # A refusal: withdrawing a downloaded unit. The detail travels in the trailers as renkei-error-detail-bin.
    refused = {}
    try:
        sender.Withdraw(office_pb2.WithdrawRequest(unit_id=receipt.unit_id, reason="test"), timeout=30)
    except grpc.RpcError as error:
        detail_bytes = dict(error.trailing_metadata() or ()).get("renkei-error-detail-bin")
        parsed = common_pb2.ErrorDetail.FromString(detail_bytes) if detail_bytes else None
        refused = {"status": error.code().name, "code": parsed.code if parsed else 0, "name": parsed.name if parsed else "",
                   "message_ja": parsed.message_ja if parsed else ""}

    print(json.dumps({"api": info.api_version, "unit": receipt.unit_id, "inbox": unit_ids, "files_equal": same,
                      "signature_verified": verified, "refused": refused}, ensure_ascii=False))


if __name__ == "__main__":
    main()
