import Foundation
import RenkeiCrypto
import RenkeiModel
import Testing

/// The office's CMS signature over a send unit's canonical manifest, here and with `openssl cms`.
@Suite struct SendUnitSignatureTests {
    let platform: TestPlatform
    let office: Credential
    let manifest: [UInt8]

    init() throws {
        platform = try TestPlatform()
        office = try platform.issue("1310000001")
        let plan = Array("予定,UPPLAN\r\n".utf8)
        manifest = try SendUnitManifest(sender: "1310000001", recipient: "2710000002", unitNumber: "20261125000001", files: [
            .init(kind: "UPPLAN", name: "UPPLAN_1310000001_20261125000001.CSV", size: UInt64(plan.count), sha256: SHA256.hash(plan).hex),
            .init(kind: "UPSIKYU", name: "UPSIKYU_1310000001_20261125000001.CSV", size: 0, sha256: SHA256.hash([UInt8]()).hex),
        ]).canonicalBytes
    }

    func sign() throws -> SendUnitSignature {
        try SendUnitSignature.sign(manifest: manifest, key: office.key, certificate: office.certificate, chain: office.chain)
    }

    @Test func signatureVerifiesHereAndNamesTheSigner() throws {
        let signature = try sign()
        let verified = try signature.verifyEveryWay(manifest: manifest, sender: "1310000001", trustStore: platform.trustStore(), at: TestPlatform.now)
        #expect(verified.identity == (try OfficeIdentity(officeNumber: "1310000001")))
        // Stored bytes read back verify the same way later (the recipient, an auditor).
        let stored = try SendUnitSignature(der: signature.der)
        #expect(try stored.verifyEveryWay(manifest: manifest, sender: "1310000001", trustStore: platform.trustStore(), at: TestPlatform.now) == verified)
    }

    @Test func signatureVerifiesWithOpenSSLCMS() throws {
        let openssl = try OpenSSLCommand()
        try platform.write(to: openssl)
        try openssl.write("manifest", manifest)
        try openssl.write("signature.der", try sign().der)
        let verify = ["cms", "-verify", "-binary", "-inform", "DER", "-in", "signature.der", "-content", "manifest",
                      "-CAfile", "root.pem", "-out", "/dev/null"]
        let result = try openssl.run(verify)
        #expect(result.succeeded, "\(result.error)")
        #expect(result.error.contains("Verification successful"))
        // With revocation checked (`openssl cms` reads CRLs from the CA file): good now, refused once revoked.
        try openssl.write("root+crl.pem", platform.ca.root.pem + platform.crl.pem)
        let withCRL = ["cms", "-verify", "-binary", "-inform", "DER", "-in", "signature.der", "-content", "manifest",
                       "-CAfile", "root+crl.pem", "-crl_check", "-out", "/dev/null"]
        #expect(try openssl.run(withCRL).succeeded)
        try openssl.write("root+crl.pem", platform.ca.root.pem + platform.revoking([office.certificate]).crl.pem)
        let revoked = try openssl.run(withCRL)
        #expect(!revoked.succeeded)
        #expect(revoked.error.contains("certificate revoked"))

        var tampered = manifest
        tampered[tampered.count - 2] ^= 0x01
        try openssl.write("manifest", tampered)
        let refused = try openssl.run(verify)
        #expect(!refused.succeeded)
        #expect(refused.error.contains("Verification failure"))
    }

    @Test func signatureMadeByOpenSSLCMSVerifiesHere() throws {
        let openssl = try OpenSSLCommand()
        try platform.write(to: openssl)
        try openssl.write("manifest", manifest)
        try openssl.write("office.pem", office.certificate.pem)
        try openssl.write("office.key", office.key.pem())
        try openssl.runChecked("cms", "-sign", "-binary", "-md", "sha256", "-in", "manifest", "-signer", "office.pem",
                               "-inkey", "office.key", "-certfile", "intermediate.pem", "-outform", "DER", "-out", "cli.der")
        let signature = try SendUnitSignature(der: openssl.read("cli.der"))
        let verified = try signature.verifyEveryWay(manifest: manifest, sender: "1310000001", trustStore: platform.trustStore(), at: TestPlatform.now)
        #expect(verified.identity.officeNumber == "1310000001")
    }

    @Test func tamperedManifestIsRefused() throws {
        let signature = try sign()
        var tampered = manifest
        let at = try #require(tampered.firstIndex(of: UInt8(ascii: "2")))
        tampered[at] = UInt8(ascii: "3") // recipient 2710000002 → 3710000002
        let error = expectError(.manifestMismatch) {
            try signature.verify(manifest: tampered, sender: "1310000001", trustStore: platform.trustStore(), at: TestPlatform.now)
        }
        #expect(error?.openSSLReasons.isEmpty == false)
    }

    @Test func tamperedSignatureIsRefused() throws {
        var der = try sign().der
        // The ECDSA signature value is the last field of the SignerInfo, at the end of the DER.
        der[der.count - 3] ^= 0x5A
        let tampered = try SendUnitSignature(der: der)
        expectError(.signatureInvalid) {
            try tampered.verifyEveryWay(manifest: manifest, sender: "1310000001", trustStore: platform.trustStore(), at: TestPlatform.now)
        }
    }

    @Test func signatureByAnotherKeyThanTheCertificateIsRefused() throws {
        let openssl = try OpenSSLCommand()
        // Build a CMS whose certificate says office 1310000001 but which another key signed: sign with
        // a second office's key and certificate, then swap the certificate for the first office's.
        // The certificates' DER lengths must match for the swap; ECDSA signatures vary by a byte or two.
        var other = try platform.issue("1310000002")
        for _ in 0..<50 where other.certificate.der.count != office.certificate.der.count {
            other = try platform.issue("1310000002")
        }
        try openssl.write("manifest", manifest)
        try openssl.write("other.pem", other.certificate.pem)
        try openssl.write("other.key", other.key.pem())
        try openssl.runChecked("cms", "-sign", "-binary", "-in", "manifest", "-signer", "other.pem", "-inkey", "other.key",
                               "-outform", "DER", "-out", "other.der")
        var der = try openssl.read("other.der")
        func replace(_ old: [UInt8], with new: [UInt8]) throws {
            try #require(old.count == new.count)
            while let at = der.indices.first(where: { der[$0...].starts(with: old) }) {
                der.replaceSubrange(at..<(at + old.count), with: new)
            }
        }
        // Same CA, same key type and serial length: swap the certificate, then the serial number in the
        // signer identifier, so the signature now claims office 1310000001's certificate.
        try replace(other.certificate.der, with: office.certificate.der)
        try replace(bytes(hex: other.certificate.serialNumber.hex), with: bytes(hex: office.certificate.serialNumber.hex))
        let forged = try SendUnitSignature(der: der)
        expectError(.signatureInvalid) {
            try forged.verifyEveryWay(manifest: manifest, sender: "1310000001", trustStore: platform.trustStore(), at: TestPlatform.now)
        }
    }

    @Test func revokedExpiredOrWrongUseSignerIsRefused() throws {
        let signature = try sign()
        let revokedStore = try platform.revoking([office.certificate]).trustStore()
        expectError(.certificateRevoked) { try signature.verifyEveryWay(manifest: manifest, sender: "1310000001", trustStore: revokedStore, at: TestPlatform.now) }
        let expired = try platform.issue(notBefore: TestPlatform.now - 30 * TestPlatform.day, notAfter: TestPlatform.now - 60)
        // The client refuses to sign with it now; a signature made while it was valid is refused once it expired.
        expectError(.certificateExpired) {
            try SendUnitSignature.sign(manifest: manifest, key: expired.key, certificate: expired.certificate, chain: expired.chain)
        }
        let byExpired = try SendUnitSignature.sign(manifest: manifest, key: expired.key, certificate: expired.certificate,
                                                   chain: expired.chain, at: TestPlatform.now - TestPlatform.day)
        expectError(.certificateExpired) {
            try byExpired.verifyEveryWay(manifest: manifest, sender: "1310000001", trustStore: platform.trustStore(), at: TestPlatform.now)
        }
        let stranger = try TestPlatform(name: "Elsewhere")
        expectError(.untrustedIssuer) { try signature.verifyEveryWay(manifest: manifest, sender: "1310000001", trustStore: stranger.trustStore(), at: TestPlatform.now) }

        let serverKey = try PrivateKey.generate()
        let server = try platform.ca.issueServerCertificate(key: serverKey, hostNames: ["renkei.example"],
                                                            notBefore: TestPlatform.now - 60, notAfter: TestPlatform.now + 3600)
        let byServer = try SendUnitSignature.sign(manifest: manifest, key: serverKey, certificate: server, chain: [platform.ca.intermediate])
        expectError(.wrongKeyUsage) { try byServer.verifyEveryWay(manifest: manifest, sender: "1310000001", trustStore: platform.trustStore(), at: TestPlatform.now) }
    }

    @Test func aValidSignatureByAnyoneButTheSendingOfficeIsRefused() throws {
        // Another office's genuine certificate: the signature is valid, the signer is not the sender.
        let other = try platform.issue("1310000009")
        let byOther = try SendUnitSignature.sign(manifest: manifest, key: other.key, certificate: other.certificate, chain: other.chain)
        expectError(.signerNotSender) {
            try byOther.verifyEveryWay(manifest: manifest, sender: "1310000001", trustStore: platform.trustStore(), at: TestPlatform.now)
        }
        // An operator or auditor certificate for the sender's own number does not speak for the office.
        for role in [OfficeIdentity.Role.operator, .auditor] {
            let staff = try platform.issue("1310000001", role: role)
            let byStaff = try SendUnitSignature.sign(manifest: manifest, key: staff.key, certificate: staff.certificate, chain: staff.chain)
            expectError(.signerNotSender) {
                try byStaff.verifyEveryWay(manifest: manifest, sender: "1310000001", trustStore: platform.trustStore(), at: TestPlatform.now)
            }
        }
        // The sender's own signature still verifies.
        _ = try sign().verifyEveryWay(manifest: manifest, sender: "1310000001", trustStore: platform.trustStore(), at: TestPlatform.now)
    }

    @Test func malformedOrOversizedSignaturesAreRefused() throws {
        expectError(.signatureMalformed) {
            try SendUnitSignature(der: [0x30, 0x03, 0x02, 0x01, 0x01]).verifyEveryWay(manifest: manifest, sender: "1310000001", trustStore: platform.trustStore(), at: TestPlatform.now)
        }
        expectError(.inputTooLarge) { try SendUnitSignature(der: [UInt8](repeating: 0, count: 70_000)) }
        expectError(.invalidParameter) {
            try SendUnitSignature.sign(manifest: manifest, key: PrivateKey.generate(), certificate: office.certificate)
        }
    }
}

/// The bytes of an even number of hexadecimal digits.
func bytes(hex: String) -> [UInt8] {
    let digits = Array(hex.utf8)
    return stride(from: 0, to: digits.count - 1, by: 2).map { UInt8(String(decoding: digits[$0...$0 + 1], as: UTF8.self), radix: 16)! }
}
