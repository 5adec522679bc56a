import RenkeiCrypto
import RenkeiModel
import Testing

/// The canonical manifest that offices sign (RenkeiModel), tested here beside its signature.
@Suite struct SendUnitManifestTests {
    let digest = SHA256.hash(Array("x".utf8)).hex

    func file(_ name: String, kind: String = "UPPLAN", size: UInt64 = 1) throws -> SendUnitManifest.File {
        try SendUnitManifest.File(kind: kind, name: name, size: size, sha256: digest)
    }

    @Test func canonicalBytesAreSortedAndRoundTrip() throws {
        let manifest = try SendUnitManifest(sender: "1310000001", recipient: "2710000002", unitNumber: "20261125000001",
                                            files: [file("B.CSV", kind: "UPSIKYU", size: 20), file("A.CSV")])
        let text = String(decoding: manifest.canonicalBytes, as: UTF8.self)
        #expect(text == """
            renkei-send-unit-manifest/v1
            sender 1310000001
            recipient 2710000002
            unit 20261125000001
            file UPPLAN 1 \(digest) A.CSV
            file UPSIKYU 20 \(digest) B.CSV

            """)
        #expect(try SendUnitManifest(canonicalBytes: manifest.canonicalBytes) == manifest)
        let reordered = try SendUnitManifest(sender: "1310000001", recipient: "2710000002", unitNumber: "20261125000001",
                                             files: [file("A.CSV"), file("B.CSV", kind: "UPSIKYU", size: 20)])
        #expect(reordered.canonicalBytes == manifest.canonicalBytes)
    }

    @Test func badFieldsGetTheirOwnCodes() throws {
        func code(_ body: () throws -> Any) -> SendUnitManifestError.Code? {
            do { _ = try body(); return nil } catch let error as SendUnitManifestError { return error.code } catch { return nil }
        }
        let one = try file("A.CSV")
        #expect(code { try SendUnitManifest(sender: "131000000", recipient: "2710000002", unitNumber: "20261125000001", files: [one]) } == .invalidOfficeNumber)
        #expect(code { try SendUnitManifest(sender: "1310000001", recipient: "２７１００００００２", unitNumber: "20261125000001", files: [one]) } == .invalidOfficeNumber)
        #expect(code { try SendUnitManifest(sender: "1310000001", recipient: "2710000002", unitNumber: "2026112500001", files: [one]) } == .invalidUnitNumber)
        #expect(code { try SendUnitManifest(sender: "1310000001", recipient: "2710000002", unitNumber: "20261125000001", files: []) } == .fileCount)
        #expect(code { try SendUnitManifest(sender: "1310000001", recipient: "2710000002", unitNumber: "20261125000001", files: [one, one]) } == .duplicateFileName)
        #expect(code { try SendUnitManifest.File(kind: "upplan", name: "A", size: 1, sha256: digest) } == .invalidKind)
        #expect(code { try SendUnitManifest.File(kind: "UPPLAN", name: "../A", size: 1, sha256: digest) } == .invalidFileName)
        #expect(code { try SendUnitManifest.File(kind: "UPPLAN", name: "A B", size: 1, sha256: digest) } == .invalidFileName)
        #expect(code { try SendUnitManifest.File(kind: "UPPLAN", name: "A", size: 1, sha256: digest.uppercased()) } == .invalidDigest)
        #expect(code { try SendUnitManifest.File(kind: "UPPLAN", name: "A", size: 1 << 40, sha256: digest) } == .fileTooLarge)
    }

    @Test func kindsWithInnerUnderscoresAreAllowedAndRoundTrip() throws {
        let kinds = ["UPKIHON", "UPKIHON_SUB1", "UPKIHON_SUB2", "UPKIHON_IMAGE", "UPYOBO_SUB", "A_B_C", "ABCDEFGHIJKLMNOP"]
        let files = try kinds.enumerated().map { try file("F\($0.offset).CSV", kind: $0.element) }
        let manifest = try SendUnitManifest(sender: "1310000001", recipient: "2710000002", unitNumber: "20261125000001", files: files)
        #expect(try SendUnitManifest(canonicalBytes: manifest.canonicalBytes) == manifest)
        #expect(manifest.files.map(\.kind) == kinds)
        for bad in ["", "_UPKIHON", "UPKIHON_", "_", "UPKIHON-SUB1", "UPKIHON SUB1", "upkihon_sub1", "UPKIHON_SUB1_XYZW", "ＵＰ"] {
            #expect(throws: SendUnitManifestError.self, "\(bad)") { try file("A.CSV", kind: bad) }
        }
    }

    @Test func nonCanonicalBytesAreRefused() throws {
        let manifest = try SendUnitManifest(sender: "1310000001", recipient: "2710000002", unitNumber: "20261125000001",
                                            files: [file("A.CSV"), file("B.CSV")])
        let text = String(decoding: manifest.canonicalBytes, as: UTF8.self)
        let lines = text.split(separator: "\n").map(String.init)
        let swapped = (lines[0..<4] + [lines[5], lines[4]]).joined(separator: "\n") + "\n"
        for bad in [swapped, text.replacingOccurrences(of: " 1 ", with: " 01 "), text + "\n", String(text.dropLast()),
                    text.replacingOccurrences(of: "\n", with: "\r\n"), "hello\n"] {
            #expect(throws: SendUnitManifestError.self) { try SendUnitManifest(canonicalBytes: Array(bad.utf8)) }
        }
    }
}
