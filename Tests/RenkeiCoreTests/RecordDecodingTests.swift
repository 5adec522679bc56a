import Foundation
import RenkeiModel
@testable import RenkeiCore
import SwiftProtobuf
import Testing

/// The hand-written decoders of the records read back for every upload and download give SwiftProtobuf's
/// record for any bytes — by decoding the plain form themselves and leaving everything else to it — else a
/// rebuild would fold something other than what a live command folded.
@Suite struct RecordDecodingTests {
    typealias Encoding = RecordEncodingTests

    /// Both decodings of `bytes`: equal records, or both refusing them.
    static func check<M: HandDecodedRecord & Equatable>(_ bytes: [UInt8], as type: M.Type, sourceLocation: SourceLocation = #_sourceLocation) {
        let expected = try? M(serializedBytes: bytes)
        let decoded = try? M(recordBytes: bytes)
        #expect(decoded == expected, "\(M.self) from \(bytes.count) bytes", sourceLocation: sourceLocation)
    }

    /// Whether `bytes` are read by hand, not left to SwiftProtobuf.
    static func readByHand<M: HandDecodedRecord>(_ bytes: [UInt8], as type: M.Type) -> Bool {
        bytes.withUnsafeBytes { buffer in
            var reader = ProtoReader(buffer)
            var record = M()
            return record.read(from: &reader) && reader.isAtEnd
        }
    }

    @Test func randomRecordsDecodeAsSwiftProtobufDecodesThem() throws {
        var v = Encoding.Values()
        var byHand = 0
        for _ in 0 ..< 2_000 {
            let (file, upload, unit) = (Encoding.file(&v), Encoding.upload(&v), Encoding.unit(&v))
            Self.check(try encodeRecord(file), as: PBFileEntry.self)
            Self.check(try encodeRecord(upload), as: PBSendUnitUploaded.self)
            Self.check(try encodeRecord(unit), as: PBUnitRecord.self)
            var change = PBStatusChange()
            (change.sequence, change.micros, change.by) = (v.u64(), v.i64(), v.text())
            Self.check(try encodeRecord(change), as: PBStatusChange.self)
            if Self.readByHand(try encodeRecord(unit), as: PBUnitRecord.self) { byHand += 1 }
        }
        // Negative enum values (ten-byte varints) go to SwiftProtobuf; most records are read by hand.
        #expect(byHand > 500, "\(byHand) of 2,000 units read by hand")
    }

    @Test func theRecordsAnUploadWritesAreReadByHand() throws {
        var file = PBFileEntry()
        (file.kind, file.name, file.size, file.sha256) = ("UPPLAN", "UPPLAN_202705_1310000001_43_1310000002_11_20270425103000.CSV", 10_240, Data(repeating: 7, count: 32))
        var upload = PBSendUnitUploaded()
        (upload.sender, upload.recipient, upload.unitType, upload.serviceMonth, upload.unitNumber) = ("1310000001", "1310000002", .plan, "202705", "01")
        upload.files = [file, file]
        (upload.signatureDer, upload.signerSerial, upload.definitionID, upload.manifestSha256) = (Data(repeating: 1, count: 1300), "0A1B", "KYOTAKU_USAGE", Data(repeating: 2, count: 32))
        var unit = PBUnitRecord()
        (unit.sequence, unit.uploadedMicros, unit.upload, unit.status) = (42, 1_900_000_000_000_000, upload, .downloaded)
        unit.history = [ExchangeProjection.change(.unread, 42, 1, "1310000001"), ExchangeProjection.change(.downloaded, 50, 2, "1310000002")]
        (unit.signatureVerified, unit.fileCount, unit.byteCount) = (true, 2, 20_480)
        #expect(Self.readByHand(try encodeRecord(upload), as: PBSendUnitUploaded.self))
        #expect(Self.readByHand(try encodeRecord(unit), as: PBUnitRecord.self))
        #expect(try PBUnitRecord(recordBytes: try encodeRecord(unit)) == unit)
    }

    @Test func damagedRecordsDecodeAsSwiftProtobufDecodesThem() throws {
        var v = Encoding.Values()
        var random = SplitMix64(seed: 0xDA3A6E)
        for round in 0 ..< 4_000 {
            var bytes = try encodeRecord(Encoding.unit(&v))
            guard !bytes.isEmpty else { continue }
            let at = Int(random.next() % UInt64(bytes.count))
            switch round % 6 {
            case 0: bytes[at] ^= UInt8(truncatingIfNeeded: random.next() | 1)  // a flipped byte
            case 1: bytes.removeSubrange(at...)  // cut short
            case 2: bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: at)  // a byte too many
            case 3: bytes += bytes  // every field twice: singular ones merge or replace, repeated ones append
            case 4: bytes += [0xC0, 0x02, UInt8(truncatingIfNeeded: random.next() % 128)]  // an unknown field
            default: bytes = Array(bytes[at...] + bytes[..<at])  // fields out of order
            }
            Self.check(bytes, as: PBUnitRecord.self)
            Self.check(bytes, as: PBSendUnitUploaded.self)
        }
    }
}
