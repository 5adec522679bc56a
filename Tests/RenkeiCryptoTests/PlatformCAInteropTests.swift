import Foundation
import RenkeiCrypto
import Testing

/// Certificates and CRLs made by PlatformCA, checked by the `openssl` command line.
@Suite struct PlatformCAInteropTests {
    @Test func issuedOfficeCertificateVerifiesWithOpenSSLAndRevokedOneFails() throws {
        let openssl = try OpenSSLCommand()
        let platform = try TestPlatform()
        let good = try platform.issue("1310000001")
        let bad = try platform.issue("1310000002")
        let revoking = try platform.revoking([bad.certificate])
        try revoking.write(to: openssl)
        try openssl.write("good.pem", good.certificate.pem)
        try openssl.write("bad.pem", bad.certificate.pem)

        let verify = ["verify", "-CAfile", "root.pem", "-untrusted", "intermediate.pem", "-crl_check", "-CRLfile", "crl.pem"]
        let ok = try openssl.run(verify + ["good.pem"])
        #expect(ok.succeeded, "\(ok.output) \(ok.error)")
        #expect(ok.output.contains("good.pem: OK"))
        let revoked = try openssl.run(verify + ["bad.pem"])
        #expect(!revoked.succeeded)
        #expect((revoked.output + revoked.error).contains("certificate revoked"))
        #expect(try openssl.run(verify + ["-purpose", "sslclient", "good.pem"]).succeeded)
        #expect(try openssl.run(verify + ["-purpose", "smimesign", "good.pem"]).succeeded)
        #expect(try !openssl.run(verify + ["-purpose", "sslserver", "good.pem"]).succeeded)
    }

    @Test func issuedCertificateHasTheRuleSubjectSerialValidityAndKeyUsage() throws {
        let openssl = try OpenSSLCommand()
        let platform = try TestPlatform()
        let notBefore = Date(timeIntervalSince1970: 1_800_000_000), notAfter = Date(timeIntervalSince1970: 1_830_000_000)
        let office = try platform.issue("4710000003", role: .operator, notBefore: notBefore, notAfter: notAfter)
        #expect(office.certificate.notBefore == notBefore)
        #expect(office.certificate.notAfter == notAfter)
        #expect(office.certificate.keyUsage.contains(.digitalSignature))
        #expect(!office.certificate.isCertificateAuthority)
        #expect(office.certificate.serialNumber != (try platform.issue("4710000003").certificate.serialNumber))
        try openssl.write("c.pem", office.certificate.pem)
        let text = try openssl.runChecked("x509", "-in", "c.pem", "-noout", "-subject", "-serial", "-ext",
                                          "keyUsage,extendedKeyUsage,basicConstraints").output
        #expect(text.contains("subject=OU = operator, CN = 4710000003"))
        #expect(text.contains("serial=\(office.certificate.serialNumber.hex)"))
        #expect(text.contains("Digital Signature, Non Repudiation"))
        #expect(text.contains("TLS Web Client Authentication, E-mail Protection"))
        #expect(text.contains("CA:FALSE"))
    }

    @Test func serverCertificateAndCRLAreUsableByOpenSSL() throws {
        let openssl = try OpenSSLCommand()
        let platform = try TestPlatform()
        let key = try PrivateKey.generate()
        let server = try platform.ca.issueServerCertificate(key: key, hostNames: ["renkei.example", "127.0.0.1"],
                                                            notBefore: TestPlatform.now - 60, notAfter: TestPlatform.now + 86400)
        let credential = try Credential(key: key, certificate: server, chain: [platform.ca.intermediate])
        try platform.write(to: openssl)
        try openssl.write("server.pem", credential.certificateChainPEM)
        try openssl.write("server.key", key.pem())
        let verify = try openssl.run("verify", "-CAfile", "root.pem", "-untrusted", "intermediate.pem", "-purpose", "sslserver",
                                     "-verify_hostname", "renkei.example", "-crl_check", "-CRLfile", "crl.pem", "server.pem")
        #expect(verify.succeeded, "\(verify.output) \(verify.error)")
        #expect(try openssl.runChecked("x509", "-in", "server.pem", "-noout", "-ext", "subjectAltName").output
            .contains("DNS:renkei.example, IP Address:127.0.0.1"))
        #expect(try !openssl.run("verify", "-CAfile", "root.pem", "-untrusted", "intermediate.pem", "-purpose", "sslclient",
                                 "server.pem").succeeded)
        #expect(try openssl.runChecked("pkey", "-in", "server.key", "-pubout").output == key.publicKeyPEM())

        let crl = try openssl.run("crl", "-in", "crl.pem", "-CAfile", "intermediate.pem", "-noout", "-crlnumber")
        #expect((crl.output + crl.error).contains("verify OK"))
        #expect(crl.output.contains("crlNumber=0x01"))
        expectError(.invalidParameter) {
            try platform.ca.issueServerCertificate(key: key, hostNames: ["bad host"], notBefore: TestPlatform.now,
                                                   notAfter: TestPlatform.now + 60)
        }
    }

    @Test func pemAndDERRoundTripForCACertificatesAndCRL() throws {
        let platform = try TestPlatform()
        let revoked = try platform.issue().certificate
        let list = try platform.revoking([revoked]).crl
        #expect(try Certificate(der: platform.ca.root.der) == platform.ca.root)
        #expect(try Certificate.chain(pem: platform.ca.intermediate.pem + platform.ca.root.pem) == [platform.ca.intermediate, platform.ca.root])
        #expect(try CertificateRevocationList(pem: list.pem).revoked.map(\.serialNumber) == [revoked.serialNumber])
        #expect(try CertificateRevocationList(der: list.der).isSigned(by: platform.ca.intermediate))
        #expect(!list.isSigned(by: platform.ca.root))
        expectError(.malformedPEM) { try Certificate(pem: "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n") }
        expectError(.malformedDER) { try Certificate(der: [1, 2, 3]) }
        expectError(.malformedDER) { try CertificateRevocationList(der: [0x30, 0x00]) }
    }

    @Test func loadedCAMustHoldMatchingKeys() throws {
        let platform = try TestPlatform()
        let other = try TestPlatform(name: "Other")
        let ca = platform.ca
        #expect(throws: Never.self) {
            try PlatformCA(root: ca.root, intermediate: Certificate(pem: ca.intermediate.pem),
                           intermediateKey: PrivateKey(pem: ca.intermediateKey.pem(password: "x"), password: "x"))
        }
        expectError(.invalidParameter) { try PlatformCA(root: ca.root, intermediate: ca.intermediate, intermediateKey: other.ca.intermediateKey) }
        expectError(.invalidParameter) { try PlatformCA(root: other.ca.root, intermediate: ca.intermediate, intermediateKey: ca.intermediateKey) }
    }
}
