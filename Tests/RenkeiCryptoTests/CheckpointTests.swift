import Foundation
import RenkeiCrypto
import Testing

/// Signed checkpoint notes: the platform signs, an auditor verifies with the platform certificate alone.
@Suite struct CheckpointTests {
    let platform: TestPlatform
    let signer: Credential
    let checkpoint: Checkpoint
    let name = "renkei.example/log"

    init() throws {
        platform = try TestPlatform()
        // The log-signing key has a certificate from the platform CA; an auditor holds only that certificate.
        let key = try PrivateKey.generate()
        let certificate = try platform.ca.issueServerCertificate(key: key, hostNames: ["renkei.example"],
                                                                 notBefore: TestPlatform.now - 60, notAfter: TestPlatform.now + 86400)
        signer = try Credential(key: key, certificate: certificate)
        checkpoint = try Checkpoint(origin: name, treeSize: 1234, rootHash: SHA256.hash(Array("root".utf8)),
                                    timestamp: Date(timeIntervalSince1970: 1_795_000_000.75))
    }

    @Test func noteIsReadableTextAndRoundTrips() throws {
        let note = try checkpoint.signedNote(key: signer.key, keyName: name)
        let lines = note.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[0] == "renkei.example/log")
        #expect(lines[1] == "1234")
        #expect(lines[2] == Substring(Data(checkpoint.rootHash.bytes).base64EncodedString()))
        #expect(lines[3] == "timestamp 2026-11-18T11:06:40Z")
        #expect(lines[4] == "")
        #expect(lines[5].hasPrefix("— renkei.example/log "))
        let verified = try Checkpoint.verify(note: note, certificate: signer.certificate, keyName: name)
        #expect(verified == checkpoint)
        #expect(verified.timestamp == Date(timeIntervalSince1970: 1_795_000_000))
    }

    @Test func tamperedBodyIsRefused() throws {
        let note = try checkpoint.signedNote(key: signer.key, keyName: name)
        let grown = note.replacingOccurrences(of: "\n1234\n", with: "\n1235\n")
        #expect(grown != note)
        expectError(.checkpointSignatureInvalid) { try Checkpoint.verify(note: grown, certificate: signer.certificate, keyName: name) }
    }

    @Test func tamperedSignatureIsRefused() throws {
        let note = try checkpoint.signedNote(key: signer.key, keyName: name)
        let line = try #require(note.split(separator: "\n").last)
        var blob = try #require(Data(base64Encoded: String(line.split(separator: " ")[2])))
        blob[blob.count - 2] ^= 0x01
        let tampered = note.replacingOccurrences(of: String(line.split(separator: " ")[2]), with: blob.base64EncodedString())
        expectError(.checkpointSignatureInvalid) { try Checkpoint.verify(note: tampered, certificate: signer.certificate, keyName: name) }
    }

    @Test func signatureByAnotherKeyOrNameIsNotAccepted() throws {
        let note = try checkpoint.signedNote(key: PrivateKey.generate(), keyName: name)
        expectError(.checkpointSignerUnknown) { try Checkpoint.verify(note: note, certificate: signer.certificate, keyName: name) }
        let ours = try checkpoint.signedNote(key: signer.key, keyName: name)
        expectError(.checkpointSignerUnknown) { try Checkpoint.verify(note: ours, certificate: signer.certificate, keyName: "other.example/log") }
        expectError(.checkpointSignerUnknown) { try Checkpoint.verify(note: ours, certificate: platform.ca.root, keyName: name) }
    }

    @Test func malformedNotesAreRefused() throws {
        let note = try checkpoint.signedNote(key: signer.key, keyName: name)
        for bad in ["", "no blank line\n", note.replacingOccurrences(of: "— ", with: "- "), String(note.dropLast()),
                    note.replacingOccurrences(of: "timestamp 2026-11-18T11:06:40Z", with: "timestamp yesterday")] {
            let error = #expect(throws: CryptoError.self) { try Checkpoint.verify(note: bad, certificate: signer.certificate, keyName: name) }
            #expect(error?.code == .checkpointMalformed || error?.code == .checkpointSignatureInvalid, "\(String(describing: error))")
        }
        expectError(.checkpointMalformed) { try Checkpoint.verify(note: "a\n\nb\n", certificate: signer.certificate, keyName: name) }
        expectError(.inputTooLarge) {
            try Checkpoint.verify(note: String(repeating: "a", count: 20_000), certificate: signer.certificate, keyName: name)
        }
        expectError(.invalidParameter) { try Checkpoint(origin: "has space", treeSize: 0, rootHash: checkpoint.rootHash, timestamp: Date()) }
    }

    @Test func auditorCanCheckTheSignatureWithOpenSSLAlone() throws {
        let openssl = try OpenSSLCommand()
        let note = try checkpoint.signedNote(key: signer.key, keyName: name)
        let line = try #require(note.split(separator: "\n").last)
        let blob = try #require(Data(base64Encoded: String(line.split(separator: " ")[2])))
        try openssl.write("body", checkpoint.body)
        try openssl.write("signature", Array(blob.dropFirst(4)))
        try openssl.write("platform.pem", signer.certificate.pem)
        try openssl.runChecked("x509", "-in", "platform.pem", "-pubkey", "-noout", "-out", "platform.pub")
        let ok = try openssl.run("dgst", "-sha256", "-verify", "platform.pub", "-signature", "signature", "body")
        #expect(ok.output.contains("Verified OK"))
        try openssl.write("body", checkpoint.body.replacingOccurrences(of: "1234", with: "1233"))
        #expect(try !openssl.run("dgst", "-sha256", "-verify", "platform.pub", "-signature", "signature", "body").succeeded)
        // The key ID is SHA-256 of the DER public key, first four bytes.
        #expect(Array(blob.prefix(4)) == Checkpoint.keyID(publicKeyDER: try signer.certificate.publicKeyDER()))
    }
}
