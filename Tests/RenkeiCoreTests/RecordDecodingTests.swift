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

    /// A rebuild's decoding of `bytes` (`FoldedRecord`) against SwiftProtobuf's with the unfolded fields
    /// cleared: equal records, or both refusing them.
    static func checkFolded<M: FoldedRecord & Equatable>(_ bytes: [UInt8], as type: M.Type, sourceLocation: SourceLocation = #_sourceLocation) {
        let expected = (try? M(serializedBytes: bytes)).map { record in
            var record = record
            record.clearUnfoldedFields()
            return record
        }
        let decoded = try? M(foldedBytes: bytes)
        #expect(decoded == expected, "\(M.self) folded from \(bytes.count) bytes", sourceLocation: sourceLocation)
    }

    /// Whether `bytes` are read by hand, not left to SwiftProtobuf.
    static func readByHand<M: HandDecodedRecord>(_ bytes: [UInt8], as type: M.Type, folding: Bool = false) -> Bool {
        bytes.withUnsafeBytes { buffer in
            var reader = ProtoReader(buffer, folding: folding)
            var record = M()
            return record.read(from: &reader) && reader.isAtEnd
        }
    }

    static func downloaded(_ v: inout Encoding.Values) -> PBSendUnitDownloaded {
        var m = PBSendUnitDownloaded()
        (m.unit, m.recipient, m.sender, m.origin) = (v.u64(), v.text(), v.text(), v.text())
        m.files = (0 ..< Int(v.random.next() % 4)).map { _ in v.text() }
        return m
    }

    static func refused(_ v: inout Encoding.Values) -> PBSendUnitRefused {
        var m = PBSendUnitRefused()
        (m.sender, m.recipient, m.unitNumber, m.code) = (v.text(), v.text(), v.text(), v.u32())
        (m.reason, m.idempotencyKey, m.origin) = (v.text(), v.text(), v.text())
        return m
    }

    static func office(_ v: inout Encoding.Values) -> PBOfficeRecord {
        var m = PBOfficeRecord()
        (m.officeNumber, m.name, m.prefecture, m.billingLoginID) = (v.text(), v.text(), v.u32(), v.text())
        m.serviceKinds = (0 ..< Int(v.random.next() % 4)).map { _ in v.text() }
        if v.flag() { (m.contact.person, m.contact.phone, m.contact.email, m.contact.address) = (v.text(), v.text(), v.text(), v.text()) }
        m.status = PBRegistrationStatus(rawValue: v.enumeration())!
        (m.statusReason, m.requestedSequence, m.requestedMicros, m.decidedMicros) = (v.text(), v.u64(), v.i64(), v.i64())
        return m
    }

    static func license(_ v: inout Encoding.Values) -> PBLicenseRecord {
        var m = PBLicenseRecord()
        (m.officeNumber, m.status) = (v.text(), PBLicenseStatus(rawValue: v.enumeration())!)
        if v.flag() { m.periodStart.yyyymmdd = v.u32() }
        if v.flag() { m.periodEnd.yyyymmdd = v.u32() }
        (m.cancelled, m.settlement, m.reason, m.lastSequence) = (v.flag(), PBSettlement(rawValue: v.enumeration())!, v.text(), v.u64())
        return m
    }

    static func certificate(_ v: inout Encoding.Values) -> PBCertificateRecord {
        var m = PBCertificateRecord()
        if v.flag() {
            (m.issued.serial, m.issued.fingerprint, m.issued.notBeforeMicros, m.issued.notAfterMicros) = (v.text(), v.data(), v.i64(), v.i64())
            (m.issued.officeNumber, m.issued.role, m.issued.subject) = (v.text(), v.text(), v.text())
        }
        (m.issuedSequence, m.revoked, m.revocationReason, m.revokedSequence) = (v.u64(), v.flag(), v.text(), v.u64())
        return m
    }

    /// The records a decision reads for every upload, decoded every way.
    static func checkDecisionRecords(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
        check(bytes, as: PBOfficeRecord.self, sourceLocation: sourceLocation)
        check(bytes, as: PBLicenseRecord.self, sourceLocation: sourceLocation)
        check(bytes, as: PBCertificateRecord.self, sourceLocation: sourceLocation)
    }

    /// `bytes` (not empty) damaged one of six ways.
    static func damaged(_ bytes: [UInt8], way: Int, _ random: inout SplitMix64) -> [UInt8] {
        var bytes = bytes
        let at = Int(random.next() % UInt64(bytes.count))
        switch way {
        case 0: bytes[at] ^= UInt8(truncatingIfNeeded: random.next() | 1)  // a flipped byte
        case 1: bytes.removeSubrange(at...)  // cut short
        case 2: bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: at)  // a byte too many
        case 3: bytes += bytes  // every field twice: singular ones merge or replace, repeated ones append
        case 4: bytes += [0xC0, 0x02, UInt8(truncatingIfNeeded: random.next() % 128)]  // an unknown field
        default: bytes = Array(bytes[at...] + bytes[..<at])  // fields out of order
        }
        return bytes
    }

    /// The three event bodies a rebuild reads folded, damaged or not, each decoded every way.
    static func checkEventBodies(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
        check(bytes, as: PBSendUnitUploaded.self, sourceLocation: sourceLocation)
        check(bytes, as: PBSendUnitDownloaded.self, sourceLocation: sourceLocation)
        check(bytes, as: PBSendUnitRefused.self, sourceLocation: sourceLocation)
        checkFolded(bytes, as: PBSendUnitUploaded.self, sourceLocation: sourceLocation)
        checkFolded(bytes, as: PBSendUnitDownloaded.self, sourceLocation: sourceLocation)
        checkFolded(bytes, as: PBSendUnitRefused.self, sourceLocation: sourceLocation)
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
            Self.checkFolded(try encodeRecord(file), as: PBFileEntry.self)
            Self.checkEventBodies(try encodeRecord(upload))
            Self.checkEventBodies(try encodeRecord(Self.downloaded(&v)))
            Self.checkEventBodies(try encodeRecord(Self.refused(&v)))
            if Self.readByHand(try encodeRecord(unit), as: PBUnitRecord.self) { byHand += 1 }
            Self.checkDecisionRecords(try encodeRecord(Self.office(&v)))
            Self.checkDecisionRecords(try encodeRecord(Self.license(&v)))
            Self.checkDecisionRecords(try encodeRecord(Self.certificate(&v)))
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

        // A rebuild reads the upload by hand too, without the files' names and hashes, the signature or the
        // origin, and keeps everything the projections fold.
        upload.origin = "ipv4:192.0.2.7:50412"
        #expect(Self.readByHand(try encodeRecord(upload), as: PBSendUnitUploaded.self, folding: true))
        let folded = try PBSendUnitUploaded(foldedBytes: try encodeRecord(upload))
        #expect(folded.files.map(\.name) == ["", ""] && folded.files.allSatisfy(\.sha256.isEmpty) && folded.signatureDer.isEmpty && folded.origin.isEmpty)
        #expect(folded.files.map(\.size) == [10_240, 10_240] && folded.files.map(\.kind) == ["UPPLAN", "UPPLAN"])
        #expect((folded.sender, folded.recipient, folded.signerSerial, folded.definitionID, folded.manifestSha256) ==
                (upload.sender, upload.recipient, upload.signerSerial, upload.definitionID, upload.manifestSha256))
        var download = PBSendUnitDownloaded()
        (download.unit, download.recipient, download.files, download.sender, download.origin) = (42, "1310000002", [file.name], "1310000001", "ipv4:192.0.2.8:1")
        #expect(Self.readByHand(try encodeRecord(download), as: PBSendUnitDownloaded.self))
        #expect(try PBSendUnitDownloaded(foldedBytes: try encodeRecord(download)) == {
            var m = download
            (m.files, m.origin) = ([], "")
            return m
        }())
        var refusal = PBSendUnitRefused()
        (refusal.sender, refusal.recipient, refusal.code, refusal.reason) = ("1310000001", "1310000002", 1008, "3 errors: …")
        #expect(Self.readByHand(try encodeRecord(refusal), as: PBSendUnitRefused.self, folding: true))
        #expect(try PBSendUnitRefused(foldedBytes: try encodeRecord(refusal)).reason.isEmpty)
    }

    @Test func damagedRecordsDecodeAsSwiftProtobufDecodesThem() throws {
        var v = Encoding.Values()
        var random = SplitMix64(seed: 0xDA3A6E)
        for round in 0 ..< 4_000 {
            var bytes = try encodeRecord(Encoding.unit(&v))
            guard !bytes.isEmpty else { continue }
            bytes = Self.damaged(bytes, way: round % 6, &random)
            Self.check(bytes, as: PBUnitRecord.self)
            Self.check(bytes, as: PBSendUnitUploaded.self)
        }
    }

    @Test func damagedEventBodiesDecodeAsSwiftProtobufDecodesThem() throws {
        var v = Encoding.Values()
        var random = SplitMix64(seed: 0xB0D1E5)
        for round in 0 ..< 3_000 {
            var bytes = try [encodeRecord(Encoding.upload(&v)), encodeRecord(Self.downloaded(&v)), encodeRecord(Self.refused(&v))][round % 3]
            guard !bytes.isEmpty else { continue }
            bytes = Self.damaged(bytes, way: round / 3 % 6, &random)
            Self.checkEventBodies(bytes)
        }
    }

    @Test func damagedDecisionRecordsDecodeAsSwiftProtobufDecodesThem() throws {
        var v = Encoding.Values()
        var random = SplitMix64(seed: 0xDEC1DE)
        var byHand = 0
        for round in 0 ..< 3_000 {
            let records = [try encodeRecord(Self.office(&v)), try encodeRecord(Self.license(&v)), try encodeRecord(Self.certificate(&v))]
            var bytes = records[round % 3]
            if [Self.readByHand(bytes, as: PBOfficeRecord.self), Self.readByHand(bytes, as: PBLicenseRecord.self),
                Self.readByHand(bytes, as: PBCertificateRecord.self)][round % 3] { byHand += 1 }
            guard !bytes.isEmpty else { continue }
            bytes = Self.damaged(bytes, way: round / 3 % 6, &random)
            Self.checkDecisionRecords(bytes)
        }
        // Whole records in their own form are read by hand (but those with a negative enum value).
        #expect(byHand > 1_500, "\(byHand) of 3,000 decision records read by hand")
    }
}
