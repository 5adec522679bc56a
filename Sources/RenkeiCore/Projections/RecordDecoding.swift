import Foundation
import SwiftProtobuf

/// A record read back for every upload or download (the upload event's body, the unit's state), decoded by
/// hand when its bytes are what `HandEncodedRecord` writes: each known field once (a repeated one in a run),
/// in number order, with its wire type. Anything else — unknown fields from a newer version, a field twice,
/// invalid UTF-8, a value out of its type's range — goes to SwiftProtobuf, which decides: the result is
/// always SwiftProtobuf's. `RecordDecodingTests` checks that on random and on damaged records.
protocol HandDecodedRecord: SwiftProtobuf.Message {
    /// Reads the fields from `reader`; false when the bytes are not the plain form.
    mutating func read(from reader: inout ProtoReader) -> Bool
}

extension HandDecodedRecord {
    /// The record in `bytes`, equal to `Self(serializedBytes: bytes)`.
    init(recordBytes bytes: [UInt8]) throws {
        let decoded = bytes.withUnsafeBytes { buffer -> Self? in
            var reader = ProtoReader(buffer)
            var record = Self()
            return record.read(from: &reader) && reader.isAtEnd ? record : nil
        }
        self = try decoded ?? Self(serializedBytes: bytes)
    }
}

/// An event body a rebuild reads with the fields no projection folds left out (`FoldedRecord`), which a
/// rebuild of a million events would otherwise allocate, copy and free for nothing: each file's name and
/// hash, the signature, the origin, a refusal's reason. A projection that read one would differ from its
/// rebuild, which every test that compares the two would show.
protocol FoldedRecord: HandDecodedRecord {
    /// Clears the fields a rebuild leaves out.
    mutating func clearUnfoldedFields()
}

extension FoldedRecord {
    /// The record in `bytes` without the fields no projection folds: equal to `Self(serializedBytes: bytes)`
    /// with `clearUnfoldedFields()`, and refused when that is.
    init(foldedBytes bytes: [UInt8]) throws {
        let decoded = bytes.withUnsafeBytes { buffer -> Self? in
            var reader = ProtoReader(buffer, folding: true)
            var record = Self()
            return record.read(from: &reader) && reader.isAtEnd ? record : nil
        }
        if let decoded {
            self = decoded
        } else {
            self = try Self(serializedBytes: bytes)
            clearUnfoldedFields()
        }
    }
}

/// Protobuf wire format read field by field, in the plain form only: every read returns nil (and the
/// record falls back to SwiftProtobuf) at the first thing outside it.
struct ProtoReader {
    private let buffer: UnsafeRawBufferPointer
    private var position = 0
    /// The last field read, so a field out of order or read twice is noticed.
    private var lastField = 0
    /// Whether the fields no projection folds are checked and passed over instead of kept (`FoldedRecord`).
    let folding: Bool

    init(_ buffer: UnsafeRawBufferPointer, folding: Bool = false) {
        self.buffer = buffer
        self.folding = folding
    }

    var isAtEnd: Bool { position == buffer.count }

    private mutating func varint() -> UInt64? {
        var value: UInt64 = 0, shift: UInt64 = 0
        while position < buffer.count, shift < 64 {
            let byte = buffer[position]
            position += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 {
                // SwiftProtobuf accepts a tenth byte's high bits and padded varints; leave those to it.
                return shift == 63 && byte > 1 ? nil : value
            }
            shift += 7
        }
        return nil
    }

    /// The next field's number and wire type, or nil at the end; a field below the last one read (or equal,
    /// unless `repeated`) ends the plain form, and so does field 0.
    mutating func field(repeated: (Int) -> Bool) -> (number: Int, wireType: UInt64)?? {
        guard !isAtEnd else { return .some(nil) }
        guard let tag = varint(), tag >> 3 <= UInt64(Int32.max) else { return nil }
        let number = Int(tag >> 3)
        guard number > lastField || (number == lastField && repeated(number)) else { return nil }
        lastField = number
        return .some((number, tag & 7))
    }

    mutating func uint64(_ wireType: UInt64) -> UInt64? { wireType == 0 ? varint() : nil }

    mutating func uint32(_ wireType: UInt64) -> UInt32? {
        guard let value = uint64(wireType), value <= UInt64(UInt32.max) else { return nil }
        return UInt32(value)
    }

    mutating func int64(_ wireType: UInt64) -> Int64? { uint64(wireType).map { Int64(bitPattern: $0) } }

    mutating func bool(_ wireType: UInt64) -> Bool? {
        guard let value = uint64(wireType), value <= 1 else { return nil }
        return value == 1
    }

    /// An enum's value, as SwiftProtobuf makes it (a number the enum does not name included); a negative or
    /// oversized one is left to SwiftProtobuf.
    mutating func enumeration<E: SwiftProtobuf.Enum>(_ wireType: UInt64, _ type: E.Type) -> E? where E.RawValue == Int {
        guard let value = uint64(wireType), value <= UInt64(Int32.max), let known = E(rawValue: Int(value)), known.rawValue == Int(value) else { return nil }
        return known
    }

    /// A length-delimited field's bytes.
    mutating func bytes(_ wireType: UInt64) -> UnsafeRawBufferPointer? {
        guard wireType == 2, let length = varint(), length <= UInt64(buffer.count - position) else { return nil }
        defer { position += Int(length) }
        return UnsafeRawBufferPointer(rebasing: buffer[position ..< position + Int(length)])
    }

    /// A string field, when its bytes are valid UTF-8 (SwiftProtobuf refuses anything else): decoding repairs
    /// invalid sequences, so the text's bytes equal the field's only when there was nothing to repair.
    mutating func string(_ wireType: UInt64) -> String? {
        guard let field = bytes(wireType) else { return nil }
        return Self.text(field)
    }

    /// `field` as text, when it is valid UTF-8.
    private static func text(_ field: UnsafeRawBufferPointer) -> String? {
        var text = String(decoding: field, as: UTF8.self)
        let valid = text.withUTF8 { $0.count == field.count && (field.isEmpty || memcmp($0.baseAddress!, field.baseAddress!, field.count) == 0) }
        return valid ? text : nil
    }

    mutating func data(_ wireType: UInt64) -> Data? { bytes(wireType).map { Data($0) } }

    /// Passes over a string field a rebuild leaves out, checked as `string` checks it (ASCII, the usual
    /// case, without making the text).
    mutating func skipString(_ wireType: UInt64) -> Bool {
        guard let field = bytes(wireType) else { return false }
        return field.allSatisfy { $0 < 0x80 } || Self.text(field) != nil
    }

    /// Passes over a bytes field a rebuild leaves out.
    mutating func skipData(_ wireType: UInt64) -> Bool { bytes(wireType) != nil }

    /// A message field: `M` read from its bytes, which it must use up.
    mutating func message<M: HandDecodedRecord>(_ wireType: UInt64, _ type: M.Type) -> M? {
        guard let body = bytes(wireType) else { return nil }
        var reader = ProtoReader(body, folding: folding)
        var message = M()
        return message.read(from: &reader) && reader.isAtEnd ? message : nil
    }
}

extension PBFileEntry: HandDecodedRecord {
    mutating func read(from reader: inout ProtoReader) -> Bool {
        while true {
            guard let next = reader.field(repeated: { _ in false }) else { return false }
            guard let (number, wireType) = next else { return true }
            switch number {
            case 1: guard let value = reader.string(wireType) else { return false }; kind = value
            case 2 where reader.folding: guard reader.skipString(wireType) else { return false }
            case 2: guard let value = reader.string(wireType) else { return false }; name = value
            case 3: guard let value = reader.uint64(wireType) else { return false }; size = value
            case 4 where reader.folding: guard reader.skipData(wireType) else { return false }
            case 4: guard let value = reader.data(wireType) else { return false }; sha256 = value
            default: return false
            }
        }
    }
}

extension PBFileEntry: FoldedRecord {
    mutating func clearUnfoldedFields() {
        name = ""
        sha256 = Data()
    }
}

extension PBSendUnitUploaded: HandDecodedRecord {
    mutating func read(from reader: inout ProtoReader) -> Bool {
        while true {
            guard let next = reader.field(repeated: { $0 == 6 }) else { return false }
            guard let (number, wireType) = next else { return true }
            switch number {
            case 1: guard let value = reader.string(wireType) else { return false }; sender = value
            case 2: guard let value = reader.string(wireType) else { return false }; recipient = value
            case 3: guard let value = reader.enumeration(wireType, PBUnitType.self) else { return false }; unitType = value
            case 4: guard let value = reader.string(wireType) else { return false }; serviceMonth = value
            case 5: guard let value = reader.string(wireType) else { return false }; unitNumber = value
            case 6:
                guard let value = reader.message(wireType, PBFileEntry.self) else { return false }
                if files.isEmpty { files.reserveCapacity(4) }  // (one allocation for a unit's usual files, not one for each doubling)
                files.append(value)
            case 7 where reader.folding: guard reader.skipData(wireType) else { return false }
            case 7: guard let value = reader.data(wireType) else { return false }; signatureDer = value
            case 8: guard let value = reader.string(wireType) else { return false }; signerSerial = value
            case 9: guard let value = reader.string(wireType) else { return false }; idempotencyKey = value
            case 10: guard let value = reader.string(wireType) else { return false }; definitionID = value
            case 11: guard let value = reader.uint32(wireType) else { return false }; senderPrefecture = value
            case 12: guard let value = reader.uint32(wireType) else { return false }; recipientPrefecture = value
            case 13: guard let value = reader.data(wireType) else { return false }; manifestSha256 = value
            case 14 where reader.folding: guard reader.skipString(wireType) else { return false }
            case 14: guard let value = reader.string(wireType) else { return false }; origin = value
            default: return false
            }
        }
    }
}

extension PBSendUnitUploaded: FoldedRecord {
    mutating func clearUnfoldedFields() {
        for index in files.indices { files[index].clearUnfoldedFields() }
        signatureDer = Data()
        origin = ""
    }
}

extension PBSendUnitDownloaded: HandDecodedRecord, FoldedRecord {
    mutating func read(from reader: inout ProtoReader) -> Bool {
        while true {
            guard let next = reader.field(repeated: { $0 == 3 }) else { return false }
            guard let (number, wireType) = next else { return true }
            switch number {
            case 1: guard let value = reader.uint64(wireType) else { return false }; unit = value
            case 2: guard let value = reader.string(wireType) else { return false }; recipient = value
            case 3 where reader.folding: guard reader.skipString(wireType) else { return false }
            case 3: guard let value = reader.string(wireType) else { return false }; files.append(value)
            case 4: guard let value = reader.string(wireType) else { return false }; sender = value
            case 5 where reader.folding: guard reader.skipString(wireType) else { return false }
            case 5: guard let value = reader.string(wireType) else { return false }; origin = value
            default: return false
            }
        }
    }

    mutating func clearUnfoldedFields() {
        files = []
        origin = ""
    }
}

extension PBSendUnitRefused: HandDecodedRecord, FoldedRecord {
    mutating func read(from reader: inout ProtoReader) -> Bool {
        while true {
            guard let next = reader.field(repeated: { _ in false }) else { return false }
            guard let (number, wireType) = next else { return true }
            switch number {
            case 1: guard let value = reader.string(wireType) else { return false }; sender = value
            case 2: guard let value = reader.string(wireType) else { return false }; recipient = value
            case 3: guard let value = reader.string(wireType) else { return false }; unitNumber = value
            case 4: guard let value = reader.uint32(wireType) else { return false }; code = value
            case 5 where reader.folding: guard reader.skipString(wireType) else { return false }
            case 5: guard let value = reader.string(wireType) else { return false }; reason = value
            case 6: guard let value = reader.string(wireType) else { return false }; idempotencyKey = value
            case 7 where reader.folding: guard reader.skipString(wireType) else { return false }
            case 7: guard let value = reader.string(wireType) else { return false }; origin = value
            default: return false
            }
        }
    }

    mutating func clearUnfoldedFields() {
        reason = ""
        origin = ""
    }
}

extension PBStatusChange: HandDecodedRecord {
    mutating func read(from reader: inout ProtoReader) -> Bool {
        while true {
            guard let next = reader.field(repeated: { _ in false }) else { return false }
            guard let (number, wireType) = next else { return true }
            switch number {
            case 1: guard let value = reader.enumeration(wireType, PBUnitStatus.self) else { return false }; status = value
            case 2: guard let value = reader.uint64(wireType) else { return false }; sequence = value
            case 3: guard let value = reader.int64(wireType) else { return false }; micros = value
            case 4: guard let value = reader.string(wireType) else { return false }; by = value
            default: return false
            }
        }
    }
}

extension PBUnitRecord: HandDecodedRecord {
    mutating func read(from reader: inout ProtoReader) -> Bool {
        while true {
            guard let next = reader.field(repeated: { $0 == 5 }) else { return false }
            guard let (number, wireType) = next else { return true }
            switch number {
            case 1: guard let value = reader.uint64(wireType) else { return false }; sequence = value
            case 2: guard let value = reader.int64(wireType) else { return false }; uploadedMicros = value
            case 3: guard let value = reader.message(wireType, PBSendUnitUploaded.self) else { return false }; upload = value
            case 4: guard let value = reader.enumeration(wireType, PBUnitStatus.self) else { return false }; status = value
            case 5: guard let value = reader.message(wireType, PBStatusChange.self) else { return false }; history.append(value)
            case 6: guard let value = reader.int64(wireType) else { return false }; firstDownloadMicros = value
            case 7: guard let value = reader.bool(wireType) else { return false }; purged = value
            case 8: guard let value = reader.bool(wireType) else { return false }; signatureVerified = value
            case 9: guard let value = reader.uint32(wireType) else { return false }; fileCount = value
            case 10: guard let value = reader.uint64(wireType) else { return false }; byteCount = value
            default: return false
            }
        }
    }
}

// The records every upload's decision reads: both offices, both licences and the signer's certificate.

extension PBOfficeContact: HandDecodedRecord {
    mutating func read(from reader: inout ProtoReader) -> Bool {
        while true {
            guard let next = reader.field(repeated: { _ in false }) else { return false }
            guard let (number, wireType) = next else { return true }
            switch number {
            case 1: guard let value = reader.string(wireType) else { return false }; person = value
            case 2: guard let value = reader.string(wireType) else { return false }; phone = value
            case 3: guard let value = reader.string(wireType) else { return false }; email = value
            case 4: guard let value = reader.string(wireType) else { return false }; address = value
            default: return false
            }
        }
    }
}

extension PBOfficeRecord: HandDecodedRecord {
    mutating func read(from reader: inout ProtoReader) -> Bool {
        while true {
            guard let next = reader.field(repeated: { $0 == 3 }) else { return false }
            guard let (number, wireType) = next else { return true }
            switch number {
            case 1: guard let value = reader.string(wireType) else { return false }; officeNumber = value
            case 2: guard let value = reader.string(wireType) else { return false }; name = value
            case 3: guard let value = reader.string(wireType) else { return false }; serviceKinds.append(value)
            case 4: guard let value = reader.uint32(wireType) else { return false }; prefecture = value
            case 5: guard let value = reader.message(wireType, PBOfficeContact.self) else { return false }; contact = value
            case 6: guard let value = reader.string(wireType) else { return false }; billingLoginID = value
            case 7: guard let value = reader.enumeration(wireType, PBRegistrationStatus.self) else { return false }; status = value
            case 8: guard let value = reader.string(wireType) else { return false }; statusReason = value
            case 9: guard let value = reader.uint64(wireType) else { return false }; requestedSequence = value
            case 10: guard let value = reader.int64(wireType) else { return false }; requestedMicros = value
            case 11: guard let value = reader.int64(wireType) else { return false }; decidedMicros = value
            default: return false
            }
        }
    }
}

extension PBDay: HandDecodedRecord {
    mutating func read(from reader: inout ProtoReader) -> Bool {
        while true {
            guard let next = reader.field(repeated: { _ in false }) else { return false }
            guard let (number, wireType) = next else { return true }
            guard number == 1, let value = reader.uint32(wireType) else { return false }
            yyyymmdd = value
        }
    }
}

extension PBLicenseRecord: HandDecodedRecord {
    mutating func read(from reader: inout ProtoReader) -> Bool {
        while true {
            guard let next = reader.field(repeated: { _ in false }) else { return false }
            guard let (number, wireType) = next else { return true }
            switch number {
            case 1: guard let value = reader.string(wireType) else { return false }; officeNumber = value
            case 2: guard let value = reader.enumeration(wireType, PBLicenseStatus.self) else { return false }; status = value
            case 3: guard let value = reader.message(wireType, PBDay.self) else { return false }; periodStart = value
            case 4: guard let value = reader.message(wireType, PBDay.self) else { return false }; periodEnd = value
            case 5: guard let value = reader.bool(wireType) else { return false }; cancelled = value
            case 6: guard let value = reader.enumeration(wireType, PBSettlement.self) else { return false }; settlement = value
            case 7: guard let value = reader.string(wireType) else { return false }; reason = value
            case 8: guard let value = reader.uint64(wireType) else { return false }; lastSequence = value
            default: return false
            }
        }
    }
}

extension PBCertificateIssued: HandDecodedRecord {
    mutating func read(from reader: inout ProtoReader) -> Bool {
        while true {
            guard let next = reader.field(repeated: { _ in false }) else { return false }
            guard let (number, wireType) = next else { return true }
            switch number {
            case 1: guard let value = reader.string(wireType) else { return false }; serial = value
            case 2: guard let value = reader.data(wireType) else { return false }; fingerprint = value
            case 3: guard let value = reader.int64(wireType) else { return false }; notBeforeMicros = value
            case 4: guard let value = reader.int64(wireType) else { return false }; notAfterMicros = value
            case 5: guard let value = reader.string(wireType) else { return false }; officeNumber = value
            case 6: guard let value = reader.string(wireType) else { return false }; role = value
            case 7: guard let value = reader.string(wireType) else { return false }; subject = value
            default: return false
            }
        }
    }
}

extension PBCertificateRecord: HandDecodedRecord {
    mutating func read(from reader: inout ProtoReader) -> Bool {
        while true {
            guard let next = reader.field(repeated: { _ in false }) else { return false }
            guard let (number, wireType) = next else { return true }
            switch number {
            case 1: guard let value = reader.message(wireType, PBCertificateIssued.self) else { return false }; issued = value
            case 2: guard let value = reader.uint64(wireType) else { return false }; issuedSequence = value
            case 3: guard let value = reader.bool(wireType) else { return false }; revoked = value
            case 4: guard let value = reader.string(wireType) else { return false }; revocationReason = value
            case 5: guard let value = reader.uint64(wireType) else { return false }; revokedSequence = value
            default: return false
            }
        }
    }
}
