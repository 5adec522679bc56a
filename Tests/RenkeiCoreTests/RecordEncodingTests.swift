import Foundation
import RenkeiModel
@testable import RenkeiCore
import SwiftProtobuf
import Testing

/// The hand-written encoders of the busiest records give SwiftProtobuf's bytes exactly — else a store's
/// projections would differ from a rebuild, and from every store written before them — and know every field
/// their messages have.
@Suite struct RecordEncodingTests {
    /// Random field values, about a third of them left at their default (which the encoding leaves out).
    struct Values {
        var random = SplitMix64(seed: 0x5EED)

        /// Whether to set a field (two times in three).
        mutating func keep() -> Bool { random.next() % 3 != 0 }
        mutating func pick<T>(_ values: [T]) -> T { values[Int(random.next() % UInt64(values.count))] }
        mutating func text() -> String {
            guard keep() else { return "" }
            let length = Int(random.next() % 300)
            return pick(["1310000001", "UPPLAN_202705_1310000001_43_1310000002_11_20270425103000.CSV", "事業所", "k-\(length)",
                         String(repeating: "x", count: length)])
        }
        mutating func data() -> Data {
            guard keep() else { return Data() }
            return Data((0 ..< Int(random.next() % 200)).map { _ in UInt8(truncatingIfNeeded: random.next()) })
        }
        mutating func u64() -> UInt64 { keep() ? pick([1, 127, 128, 300, 1 << 35, UInt64.max]) : 0 }
        mutating func u32() -> UInt32 { UInt32(truncatingIfNeeded: u64()) }
        mutating func i64() -> Int64 { keep() ? pick([1, -1, 1_900_000_000_000_000, Int64.min, Int64.max]) : 0 }
        mutating func flag() -> Bool { random.next() % 2 == 0 }
        mutating func enumeration() -> Int { keep() ? pick([1, 2, 3, 4, -1, 99]) : 0 }
    }

    static func file(_ v: inout Values) -> PBFileEntry {
        var file = PBFileEntry()
        (file.kind, file.name, file.size, file.sha256) = (v.text(), v.text(), v.u64(), v.data())
        return file
    }

    static func upload(_ v: inout Values) -> PBSendUnitUploaded {
        var m = PBSendUnitUploaded()
        (m.sender, m.recipient, m.serviceMonth, m.unitNumber) = (v.text(), v.text(), v.text(), v.text())
        m.unitType = PBUnitType(rawValue: v.enumeration())!
        m.files = (0 ..< Int(v.random.next() % 4)).map { _ in file(&v) }
        (m.signatureDer, m.signerSerial, m.idempotencyKey, m.definitionID) = (v.data(), v.text(), v.text(), v.text())
        (m.senderPrefecture, m.recipientPrefecture, m.manifestSha256, m.origin) = (v.u32(), v.u32(), v.data(), v.text())
        return m
    }

    static func unit(_ v: inout Values) -> PBUnitRecord {
        var m = PBUnitRecord()
        (m.sequence, m.uploadedMicros) = (v.u64(), v.i64())
        if v.flag() { m.upload = upload(&v) }
        m.status = PBUnitStatus(rawValue: v.enumeration())!
        m.history = (0 ..< Int(v.random.next() % 4)).map { _ in
            var change = PBStatusChange()
            change.status = PBUnitStatus(rawValue: v.enumeration())!
            (change.sequence, change.micros, change.by) = (v.u64(), v.i64(), v.text())
            return change
        }
        (m.firstDownloadMicros, m.purged, m.signatureVerified, m.fileCount, m.byteCount) = (v.i64(), v.flag(), v.flag(), v.u32(), v.u64())
        return m
    }

    static func mailbox(_ v: inout Values) -> PBMailboxEntry {
        var m = PBMailboxEntry()
        (m.unit, m.partner, m.serviceMonth, m.unitNumber) = (v.u64(), v.text(), v.text(), v.text())
        (m.unitType, m.status) = (PBUnitType(rawValue: v.enumeration())!, PBUnitStatus(rawValue: v.enumeration())!)
        (m.fileCount, m.byteCount, m.uploadedMicros) = (v.u32(), v.u64(), v.i64())
        return m
    }

    static func usage(_ v: inout Values) -> PBUsageEntry {
        var m = PBUsageEntry()
        (m.partner, m.unitType, m.fileCount, m.byteCount, m.sent, m.prefecture) = (v.text(), PBUnitType(rawValue: v.enumeration())!, v.u32(), v.u64(), v.flag(), v.u32())
        return m
    }

    static func check<M: HandEncodedRecord>(_ message: M) throws {
        #expect(try message.recordBytes() == encodeRecord(message), "\(M.self): \(message)")
    }

    @Test func handEncodersGiveSwiftProtobufsBytes() throws {
        var v = Values()
        for _ in 0 ..< 2_000 {
            try Self.check(Self.file(&v))
            try Self.check(Self.upload(&v))
            try Self.check(Self.unit(&v))
            try Self.check(Self.mailbox(&v))
            try Self.check(Self.usage(&v))
            var audit = PBAuditEntry()
            (audit.kind, audit.micros) = (v.u32(), v.i64())
            try Self.check(audit)
            var key = PBIdempotencyRecord()
            (key.unit, key.manifestSha256) = (v.u64(), v.data())
            try Self.check(key)
        }
    }

    @Test func aRecordWithUnknownFieldsKeepsThem() throws {
        // A unit written by a newer version (field 40 unknown here, in the unit and in each message inside it)
        // and read back: its bytes go on whole, where SwiftProtobuf puts them.
        let unknown: [UInt8] = [0xC0, 0x02, 0x05]  // field 40, varint 5
        func newer<M: SwiftProtobuf.Message>(_ message: M) throws -> M { try M(serializedBytes: try encodeRecord(message) + unknown) }
        var file = PBFileEntry()
        file.name = "UPPLAN.CSV"
        var change = PBStatusChange()
        change.sequence = 3
        var unit = PBUnitRecord()
        unit.sequence = 7
        unit.upload.sender = "1310000001"
        unit.upload.files = [try newer(file), file]
        unit.upload = try newer(unit.upload)
        unit.history = [change, try newer(change)]
        let read = try newer(unit)
        #expect(!read.unknownFields.data.isEmpty && !read.upload.unknownFields.data.isEmpty)
        #expect(!read.upload.files[0].unknownFields.data.isEmpty && !read.history[1].unknownFields.data.isEmpty)
        #expect(try read.recordBytes() == encodeRecord(read))
        #expect(try read.recordBytes().suffix(3) == unknown)
        #expect(try PBUnitRecord(serializedBytes: try read.recordBytes()) == read)
    }

    static func varint(_ value: Int) -> [UInt8] {
        var value = value, bytes: [UInt8] = []
        while value >= 0x80 { bytes.append(UInt8(value & 0x7F) | 0x80); value >>= 7 }
        return bytes + [UInt8(value)]
    }

    /// The field numbers `M` knows: a field decodes into the message, not into its unknown fields, as a
    /// varint (1) or as a length-delimited field of no bytes — the two wire types these records use.
    static func knownFields<M: SwiftProtobuf.Message>(_ type: M.Type) -> [Int] {
        (1 ... 64).filter { field in
            [varint(field << 3 | 0) + [1], varint(field << 3 | 2) + [0]].contains { wire in
                guard let message = try? M(serializedBytes: wire) else { return false }
                return message.unknownFields.data.isEmpty
            }
        }
    }

    @Test func theEncodersKnowEveryField() {
        // A field added to one of these messages must be added to its `write(to:)` too (and here).
        #expect(Self.knownFields(PBFileEntry.self) == Array(1 ... 4))
        #expect(Self.knownFields(PBSendUnitUploaded.self) == Array(1 ... 14))
        #expect(Self.knownFields(PBStatusChange.self) == Array(1 ... 4))
        #expect(Self.knownFields(PBUnitRecord.self) == Array(1 ... 10))
        #expect(Self.knownFields(PBMailboxEntry.self) == Array(1 ... 9))
        #expect(Self.knownFields(PBUsageEntry.self) == Array(1 ... 6))
        #expect(Self.knownFields(PBAuditEntry.self) == Array(1 ... 2))
        #expect(Self.knownFields(PBIdempotencyRecord.self) == Array(1 ... 2))
    }
}
