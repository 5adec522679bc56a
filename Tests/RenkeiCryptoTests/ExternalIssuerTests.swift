import Foundation
import RenkeiCrypto
import Testing

/// Certificates from a trusted external CA (as the real platform accepts the 電子請求受付システム
/// certificate), made here with the `openssl` command line.
@Suite struct ExternalIssuerTests {
    let platform: TestPlatform
    let openssl: OpenSSLCommand
    let externalCA: Certificate

    init() throws {
        platform = try TestPlatform()
        openssl = try OpenSSLCommand()
        try openssl.runChecked("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                               "-keyout", "ext-ca.key", "-subj", "/O=Denshi Seikyu/CN=Denshi Seikyu Test CA", "-days", "3650",
                               "-out", "ext-ca.pem")
        try openssl.write("ext.cnf", """
            [office]
            basicConstraints = critical,CA:FALSE
            keyUsage = critical,digitalSignature
            extendedKeyUsage = clientAuth,emailProtection

            """)
        externalCA = try Certificate(pem: openssl.readText("ext-ca.pem"))
    }

    /// A verification time after the command line's certificates and CRLs began (they start at the
    /// wall clock, which may be later than TestPlatform.now).
    static var afterCommandLine: Date { Date() + 5 }

    /// Issues a certificate for `subject` from the external CA and returns it.
    func issueExternal(_ subject: String, serial: String = "0x1001") throws -> Certificate {
        try openssl.runChecked("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                               "-keyout", "leaf.key", "-subj", subject, "-out", "leaf.csr")
        try openssl.runChecked("x509", "-req", "-in", "leaf.csr", "-CA", "ext-ca.pem", "-CAkey", "ext-ca.key",
                               "-set_serial", serial, "-days", "30", "-extfile", "ext.cnf", "-extensions", "office",
                               "-out", "leaf.pem")
        return try Certificate(pem: openssl.readText("leaf.pem"))
    }

    @Test func externalCertificateMapsToAnOfficeBySubjectRule() throws {
        let leaf = try issueExternal("/O=Some Care Office/CN=1310000005")
        let store = try platform.trustStore(externalIssuers: [externalCA])
        let verified = try store.verify(chainDER: [leaf.der], at: Self.afterCommandLine)
        #expect(verified.identity == (try OfficeIdentity(officeNumber: "1310000005")))
        #expect(verified.isExternal)
    }

    @Test func externalCertificateIsRefusedWhenItsIssuerIsNotConfigured() throws {
        let leaf = try issueExternal("/CN=1310000005")
        expectError(.untrustedIssuer) { try platform.trustStore().verify(chainDER: [leaf.der], at: Self.afterCommandLine) }
    }

    @Test func externalCertificateCannotClaimAnotherRoleOrABadNumber() throws {
        let store = try platform.trustStore(externalIssuers: [externalCA])
        let operatorLeaf = try issueExternal("/OU=operator/CN=1310000005")
        expectError(.subjectNotRecognized) { try store.verify(chain: [operatorLeaf], at: Self.afterCommandLine) }
        let badNumber = try issueExternal("/CN=Yamada Taro")
        expectError(.subjectNotRecognized) { try store.verify(chain: [badNumber], at: Self.afterCommandLine) }
    }

    @Test func externalCertificatesWithWeakKeysOrSHA1SignaturesAreRefused() throws {
        let store = try platform.trustStore(externalIssuers: [externalCA])
        // RSA 1024: under the 112-bit floor.
        try openssl.runChecked("req", "-new", "-newkey", "rsa:1024", "-nodes", "-keyout", "weak.key",
                               "-subj", "/CN=1310000005", "-out", "weak.csr")
        try openssl.runChecked("x509", "-req", "-in", "weak.csr", "-CA", "ext-ca.pem", "-CAkey", "ext-ca.key",
                               "-set_serial", "0x3003", "-days", "30", "-extfile", "ext.cnf", "-extensions", "office",
                               "-out", "weak.pem")
        let weak = try Certificate(pem: openssl.readText("weak.pem"))
        #expect(throws: CryptoError.self) { try store.verify(chain: [weak], at: Self.afterCommandLine) }
        // A SHA-1 signature by the issuer.
        try openssl.runChecked("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                               "-keyout", "sha1.key", "-subj", "/CN=1310000005", "-out", "sha1.csr")
        try openssl.runChecked("x509", "-req", "-sha1", "-in", "sha1.csr", "-CA", "ext-ca.pem", "-CAkey", "ext-ca.key",
                               "-set_serial", "0x3004", "-days", "30", "-extfile", "ext.cnf", "-extensions", "office",
                               "-out", "sha1.pem")
        let sha1 = try Certificate(pem: openssl.readText("sha1.pem"))
        #expect(throws: CryptoError.self) { try store.verify(chain: [sha1], at: Self.afterCommandLine) }
        // The same issuer's normal certificate still verifies.
        _ = try store.verify(chain: [try issueExternal("/CN=1310000005")], at: Self.afterCommandLine)
    }

    @Test func externalIssuerCRLIsHonouredWhenLoaded() throws {
        let leaf = try issueExternal("/CN=1310000005", serial: "0x2002")
        try openssl.write("ca.cnf", """
            [ca]
            default_ca = ext
            [ext]
            database = index.txt
            default_md = sha256
            default_crl_days = 7

            """)
        let revocationDate = "261101000000Z"
        try openssl.write("index.txt", "R\t361101000000Z\t\(revocationDate)\t2002\tunknown\t/CN=1310000005\n")
        try openssl.runChecked("ca", "-config", "ca.cnf", "-gencrl", "-cert", "ext-ca.pem", "-keyfile", "ext-ca.key",
                               "-out", "ext-crl.pem")
        let crl = try CertificateRevocationList(pem: openssl.readText("ext-crl.pem"))
        #expect(crl.revoked.map(\.serialNumber.hex) == ["2002"])
        let later = Self.afterCommandLine
        let store = try TrustStore(platform: platform.ca, revocationList: platform.crl, externalIssuers: [externalCA])
        #expect(throws: Never.self) { try store.verify(chain: [leaf], at: later) }
        let withCRL = try store.replacingRevocationLists([platform.crl, crl])
        expectError(.certificateRevoked) { try withCRL.verify(chain: [leaf], at: later) }
    }
}
