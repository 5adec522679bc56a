import Foundation
import SwiftProtobuf

/// A record the projections write for every upload (the unit and its upload, two mailbox lines, four usage
/// lines, the audit lines, the idempotency key), encoded by hand: exactly the bytes of `encodeRecord` —
/// SwiftProtobuf's deterministic encoding, fields in number order, proto3 defaults left out — without its
/// size pass and generic visitor, which cost a rebuild of a million events more than its folding.
/// Fields a newer version wrote and this one does not know follow each message's known fields, where
/// SwiftProtobuf puts them. `RecordEncodingTests` compares both encodings on random records, and fails when
/// one of these messages gains a field that `write(to:)` does not know.
protocol HandEncodedRecord: SwiftProtobuf.Message {
    /// Appends the record's fields, then its unknown fields.
    func write(to writer: inout ProtoWriter)
}

extension HandEncodedRecord {
    /// The record's bytes, equal to `encodeRecord(self)`.
    func recordBytes() throws -> [UInt8] {
        var writer = ProtoWriter()
        write(to: &writer)
        return writer.bytes
    }
}

extension ProjectionState {
    /// Stores `record` under `key`, encoded by hand into bytes of its own.
    mutating func put(_ key: StateKey, record: some HandEncodedRecord) throws {
        put(key, try record.recordBytes())
    }
}

/// Protobuf wire format, appended to one array; each field is left out when it holds its default, as
/// proto3 encoders do.
struct ProtoWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 128) { bytes.reserveCapacity(capacity) }

    /// Empties the writer, keeping its capacity.
    mutating func reset() { bytes.removeAll(keepingCapacity: true) }

    private mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    private mutating func tag(_ field: Int, _ wireType: UInt64) { varint(UInt64(field) << 3 | wireType) }

    mutating func uint64(_ field: Int, _ value: UInt64) {
        guard value != 0 else { return }
        tag(field, 0)
        varint(value)
    }

    mutating func uint32(_ field: Int, _ value: UInt32) { uint64(field, UInt64(value)) }

    mutating func int64(_ field: Int, _ value: Int64) { uint64(field, UInt64(bitPattern: value)) }

    /// An enum's raw value, sign-extended as protobuf writes an int32.
    mutating func enumeration(_ field: Int, _ rawValue: Int) { uint64(field, UInt64(bitPattern: Int64(rawValue))) }

    mutating func bool(_ field: Int, _ value: Bool) {
        guard value else { return }
        tag(field, 0)
        bytes.append(1)
    }

    mutating func string(_ field: Int, _ value: String) {
        guard !value.isEmpty else { return }
        tag(field, 2)
        varint(UInt64(value.utf8.count))
        bytes.append(contentsOf: value.utf8)
    }

    mutating func data(_ field: Int, _ value: Data) {
        guard !value.isEmpty else { return }
        tag(field, 2)
        varint(UInt64(value.count))
        value.withUnsafeBytes { bytes.append(contentsOf: $0) }
    }

    /// Fields this version does not know, as they were read: after the known ones, as SwiftProtobuf writes them.
    mutating func unknown(_ fields: UnknownStorage) {
        guard !fields.data.isEmpty else { return }
        fields.data.withUnsafeBytes { bytes.append(contentsOf: $0) }
    }

    /// A message field, written in place: one byte is set aside for its length, and the body moved along
    /// in the rare case the length needs more (128 bytes or longer).
    mutating func message(_ field: Int, _ body: (inout ProtoWriter) -> Void) {
        tag(field, 2)
        let lengthAt = bytes.count
        bytes.append(0)
        body(&self)
        let length = bytes.count - lengthAt - 1
        if length < 0x80 {
            bytes[lengthAt] = UInt8(length)
            return
        }
        var prefix = ProtoWriter(capacity: 10)
        prefix.varint(UInt64(length))
        bytes.replaceSubrange(lengthAt ..< lengthAt + 1, with: prefix.bytes)
    }
}

extension PBFileEntry: HandEncodedRecord {
    func write(to writer: inout ProtoWriter) {
        writer.string(1, kind)
        writer.string(2, name)
        writer.uint64(3, size)
        writer.data(4, sha256)
        writer.unknown(unknownFields)
    }
}

extension PBSendUnitUploaded: HandEncodedRecord {
    func write(to writer: inout ProtoWriter) {
        writer.string(1, sender)
        writer.string(2, recipient)
        writer.enumeration(3, unitType.rawValue)
        writer.string(4, serviceMonth)
        writer.string(5, unitNumber)
        for file in files { writer.message(6) { file.write(to: &$0) } }
        writer.data(7, signatureDer)
        writer.string(8, signerSerial)
        writer.string(9, idempotencyKey)
        writer.string(10, definitionID)
        writer.uint32(11, senderPrefecture)
        writer.uint32(12, recipientPrefecture)
        writer.data(13, manifestSha256)
        writer.string(14, origin)
        writer.unknown(unknownFields)
    }
}

extension PBStatusChange: HandEncodedRecord {
    func write(to writer: inout ProtoWriter) {
        writer.enumeration(1, status.rawValue)
        writer.uint64(2, sequence)
        writer.int64(3, micros)
        writer.string(4, by)
        writer.unknown(unknownFields)
    }
}

extension PBUnitRecord: HandEncodedRecord {
    func write(to writer: inout ProtoWriter) {
        writer.uint64(1, sequence)
        writer.int64(2, uploadedMicros)
        if hasUpload {
            let upload = upload
            writer.message(3) { upload.write(to: &$0) }
        }
        writer.enumeration(4, status.rawValue)
        for change in history { writer.message(5) { change.write(to: &$0) } }
        writer.int64(6, firstDownloadMicros)
        writer.bool(7, purged)
        writer.bool(8, signatureVerified)
        writer.uint32(9, fileCount)
        writer.uint64(10, byteCount)
        writer.unknown(unknownFields)
    }
}

extension PBMailboxEntry: HandEncodedRecord {
    func write(to writer: inout ProtoWriter) {
        writer.uint64(1, unit)
        writer.string(2, partner)
        writer.enumeration(3, unitType.rawValue)
        writer.string(4, serviceMonth)
        writer.string(5, unitNumber)
        writer.enumeration(6, status.rawValue)
        writer.uint32(7, fileCount)
        writer.uint64(8, byteCount)
        writer.int64(9, uploadedMicros)
        writer.unknown(unknownFields)
    }
}

extension PBUsageEntry: HandEncodedRecord {
    func write(to writer: inout ProtoWriter) {
        writer.string(1, partner)
        writer.enumeration(2, unitType.rawValue)
        writer.uint32(3, fileCount)
        writer.uint64(4, byteCount)
        writer.bool(5, sent)
        writer.uint32(6, prefecture)
        writer.unknown(unknownFields)
    }
}

extension PBAuditEntry: HandEncodedRecord {
    func write(to writer: inout ProtoWriter) {
        writer.uint32(1, kind)
        writer.int64(2, micros)
        writer.unknown(unknownFields)
    }
}

extension PBIdempotencyRecord: HandEncodedRecord {
    func write(to writer: inout ProtoWriter) {
        writer.uint64(1, unit)
        writer.data(2, manifestSha256)
        writer.unknown(unknownFields)
    }
}
