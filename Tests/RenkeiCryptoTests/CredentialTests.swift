import Foundation
import RenkeiCrypto
import Testing

/// PKCS#12 (.p12) files, as offices keep their 電子請求 certificates.
@Suite struct CredentialTests {
    @Test func p12FromOpenSSLImportsWithTheRightPassword() throws {
        let openssl = try OpenSSLCommand()
        let platform = try TestPlatform()
        let office = try platform.issue("1310000001")
        try platform.write(to: openssl)
        try openssl.write("office.pem", office.certificate.pem)
        try openssl.write("office.key", office.key.pem())
        try openssl.runChecked("pkcs12", "-export", "-inkey", "office.key", "-in", "office.pem", "-certfile", "intermediate.pem",
                               "-name", "office", "-passout", "pass:電子請求", "-out", "office.p12")
        let bytes = try openssl.read("office.p12")
        let credential = try Credential(pkcs12: bytes, password: "電子請求")
        #expect(credential.certificate == office.certificate)
        #expect(credential.key.matches(office.certificate))
        #expect(credential.chain == [platform.ca.intermediate])
        #expect(try credential.certificate.claimedIdentity() == OfficeIdentity(officeNumber: "1310000001"))
        // The imported credential signs send units that verify against the platform.
        let signature = try SendUnitSignature.sign(manifest: Array("m".utf8), key: credential.key,
                                                   certificate: credential.certificate, chain: credential.chain)
        #expect(try signature.verify(manifest: Array("m".utf8), sender: "1310000001", trustStore: platform.trustStore(), at: TestPlatform.now)
            .identity.officeNumber == "1310000001")

        expectError(.wrongPassword) { try Credential(pkcs12: bytes, password: "wrong") }
        expectError(.malformedPKCS12) { try Credential(pkcs12: Array("not a p12".utf8), password: "x") }
        expectError(.inputTooLarge) { try Credential(pkcs12: [UInt8](repeating: 0, count: 300_000), password: "x") }
    }

    @Test func ourP12OpensInOpenSSLAndHere() throws {
        let openssl = try OpenSSLCommand()
        let platform = try TestPlatform()
        let office = try platform.issue("1310000001")
        let p12 = try office.pkcs12(password: "pw")
        try openssl.write("ours.p12", p12)
        let certificates = try openssl.runChecked("pkcs12", "-in", "ours.p12", "-passin", "pass:pw", "-nokeys")
        #expect(certificates.output.contains("CN = 1310000001"))
        let key = try openssl.runChecked("pkcs12", "-in", "ours.p12", "-passin", "pass:pw", "-nocerts", "-nodes")
        #expect(try PrivateKey(pem: key.output).publicKeyDER() == office.key.publicKeyDER())
        #expect(try !openssl.run("pkcs12", "-in", "ours.p12", "-passin", "pass:nope", "-nokeys").succeeded)
        let back = try Credential(pkcs12: p12, password: "pw")
        #expect(back.certificate == office.certificate && back.chain == office.chain)
        #expect(back.certificateChainPEM == office.certificate.pem + platform.ca.intermediate.pem)
    }

    @Test func credentialRefusesAKeyThatIsNotTheCertificates() throws {
        let office = try TestPlatform().issue()
        expectError(.invalidParameter) { try Credential(key: PrivateKey.generate(), certificate: office.certificate) }
    }
}
