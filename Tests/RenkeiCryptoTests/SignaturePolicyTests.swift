import Foundation
import RenkeiCrypto
import Testing

/// The platform's signature policy, checked against signatures and certificates the openssl command line
/// makes (which accepts all of them): weak digests, missing signed attributes, certificates not shaped as
/// office certificates, keys the platform does not issue; and the revocation rules around signing.
@Suite struct SignaturePolicyTests {
    let platform: TestPlatform
    let office: Credential
    let manifest = Array("renkei-send-unit-manifest/v1\nsender 1310000001\nrecipient 1310000002\nunit 20270425103000\n".utf8)

    init() throws {
        platform = try TestPlatform()
        office = try platform.issue()
    }

    /// Signs the manifest with the openssl command line, with `options`, as `signer` with `key`.
    func cliSignature(_ openssl: OpenSSLCommand, signer: String = "office.pem", key: String = "office.key", _ options: String...) throws -> SendUnitSignature {
        try openssl.write("manifest", manifest)
        let result = try openssl.run(["cms", "-sign", "-binary", "-in", "manifest", "-signer", signer, "-inkey", key,
                                      "-certfile", "intermediate.pem", "-outform", "DER", "-out", "sig.der"] + options)
        guard result.succeeded else { throw OpenSSLCommand.CommandFailed(arguments: options, output: result.error) }
        return try SendUnitSignature(der: openssl.read("sig.der"))
    }

    func setUp() throws -> OpenSSLCommand {
        let openssl = try OpenSSLCommand()
        try platform.write(to: openssl)
        try openssl.write("office.pem", office.certificate.pem)
        try openssl.write("office.key", office.key.pem())
        return openssl
    }

    @Test func aSHA1SignatureIsRefusedWhereSHA256Verifies() throws {
        let openssl = try setUp()
        let good = try cliSignature(openssl, "-md", "sha256")
        #expect(try good.verifyEveryWay(manifest: manifest, sender: "1310000001", trustStore: platform.trustStore(), at: TestPlatform.now).identity.officeNumber == "1310000001")
        let weak = try cliSignature(openssl, "-md", "sha1")
        expectError(.weakDigest) { try weak.verifyEveryWay(manifest: manifest, sender: "1310000001", trustStore: platform.trustStore(), at: TestPlatform.now) }
    }

    @Test func aSignatureWithoutSignedAttributesIsRefused() throws {
        let openssl = try setUp()
        let bare = try cliSignature(openssl, "-md", "sha256", "-noattr")
        expectError(.signedAttributesMissing) { try bare.verifyEveryWay(manifest: manifest, sender: "1310000001", trustStore: platform.trustStore(), at: TestPlatform.now) }
    }

    @Test func aVersion1SignerCertificateIsRefused() throws {
        let openssl = try setUp()
        // openssl x509 -req without extensions issues a bare X.509 v1 certificate from our CA.
        try openssl.runChecked("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                               "-keyout", "v1.key", "-subj", "/OU=office/CN=1310000001", "-out", "v1.csr")
        try openssl.runChecked("x509", "-req", "-in", "v1.csr", "-CA", "intermediate.pem", "-CAkey", "intermediate.key",
                               "-set_serial", "0x51", "-days", "30", "-out", "v1.pem")
        let signature = try cliSignature(openssl, signer: "v1.pem", key: "v1.key", "-md", "sha256")
        expectError(.signerProfile) { try signature.verifyEveryWay(manifest: manifest, sender: "1310000001", trustStore: platform.trustStore(), at: Date() + 5) }
    }

    @Test func aP521SignerIsRefusedAsTheCAWouldRefuseToIssueIt() throws {
        let openssl = try setUp()
        try openssl.write("ext.cnf", """
            [office]
            basicConstraints = critical,CA:FALSE
            keyUsage = critical,digitalSignature,nonRepudiation
            extendedKeyUsage = clientAuth,emailProtection

            """)
        try openssl.runChecked("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-521", "-nodes",
                               "-keyout", "p521.key", "-subj", "/OU=office/CN=1310000001", "-out", "p521.csr")
        try openssl.runChecked("x509", "-req", "-in", "p521.csr", "-CA", "intermediate.pem", "-CAkey", "intermediate.key",
                               "-set_serial", "0x52", "-days", "30", "-extfile", "ext.cnf", "-extensions", "office", "-out", "p521.pem")
        let signature = try cliSignature(openssl, signer: "p521.pem", key: "p521.key", "-md", "sha512")
        expectError(.signerProfile) { try signature.verifyEveryWay(manifest: manifest, sender: "1310000001", trustStore: platform.trustStore(), at: Date() + 5) }
    }

    @Test func theClientRefusesToSignWithARevokedCertificate() throws {
        let revoked = try platform.revoking([office.certificate]).trustStore()
        expectError(.certificateRevoked) {
            try SendUnitSignature.sign(manifest: manifest, key: office.key, certificate: office.certificate, chain: office.chain,
                                       at: TestPlatform.now, trustStore: revoked)
        }
        _ = try SendUnitSignature.sign(manifest: manifest, key: office.key, certificate: office.certificate, chain: office.chain,
                                       at: TestPlatform.now, trustStore: platform.trustStore())
    }

    @Test func anExpiredCertificateIsReportedExpiredEvenWhenItsCRLIsStale() throws {
        let expired = try platform.issue(notBefore: TestPlatform.now - 30 * TestPlatform.day, notAfter: TestPlatform.now - 60)
        let stale = try platform.ca.makeRevocationList(revoked: [], number: 9, thisUpdate: TestPlatform.now - 20 * TestPlatform.day,
                                                       nextUpdate: TestPlatform.now - TestPlatform.day)
        let store = try TrustStore(platform: platform.ca, revocationList: stale)
        expectError(.certificateExpired) { try store.verify(chainDER: expired.chainDER, at: TestPlatform.now) }
        expectError(.revocationStatusUnknown) { try store.verify(chainDER: office.chainDER, at: TestPlatform.now) }
    }

    @Test func withTheRootCRLARevokedIntermediateIsRefusedAtEveryLevel() throws {
        let now = TestPlatform.now, day = TestPlatform.day
        let clean = try platform.ca.makeRootRevocationList(revoked: [], number: 1, thisUpdate: now - day, nextUpdate: now + 30 * day)
        let checked = try TrustStore(platform: platform.ca, revocationList: platform.crl, rootRevocationList: clean)
        #expect(checked.checksEveryLevel)
        #expect(try checked.verify(chainDER: office.chainDER, at: now).identity.officeNumber == "1310000001")
        let revoking = try platform.ca.makeRootRevocationList(
            revoked: [RevokedCertificate(serialNumber: platform.ca.intermediate.serialNumber, revocationDate: now - 3600)],
            number: 2, thisUpdate: now - day, nextUpdate: now + 30 * day)
        let refusing = try TrustStore(platform: platform.ca, revocationList: platform.crl, rootRevocationList: revoking)
        let error = expectError(.certificateRevoked) { try refusing.verify(chainDER: office.chainDER, at: now) }
        #expect(error?.reason.contains("depth 1") == true)
        // A stale root CRL leaves the intermediate's state unknown.
        let stale = try platform.ca.makeRootRevocationList(revoked: [], number: 3, thisUpdate: now - 10 * day, nextUpdate: now - day)
        expectError(.revocationStatusUnknown) {
            try TrustStore(platform: platform.ca, revocationList: platform.crl, rootRevocationList: stale).verify(chainDER: office.chainDER, at: now)
        }
        // openssl agrees: with both CRLs and -crl_check_all, the chain fails as revoked.
        let openssl = try OpenSSLCommand()
        try platform.write(to: openssl)
        try openssl.write("office.pem", office.certificate.pem)
        try openssl.write("root-crl.pem", revoking.pem)
        let result = try openssl.run("verify", "-crl_check_all", "-CAfile", "root.pem", "-untrusted", "intermediate.pem",
                                     "-CRLfile", "crl.pem", "-CRLfile", "root-crl.pem", "-attime", String(Int(now.timeIntervalSince1970)), "office.pem")
        #expect(!result.succeeded && (result.output + result.error).contains("revoked"))
    }
}

/// The signer cache: a chain verified once per certificate, certificates decoded once per DER.
@Suite struct VerifiedSignerCacheTests {
    @Test func aCachedSignerIsStillCheckedForTheSenderTheManifestAndTheTrustStore() throws {
        let platform = try TestPlatform()
        let office = try platform.issue("1310000001")
        let manifest = Array("renkei-send-unit-manifest/v1\nsender 1310000001\nrecipient 1310000002\nunit 20270425103000\n".utf8)
        let signature = try SendUnitSignature.sign(manifest: manifest, key: office.key, certificate: office.certificate, chain: office.chain)
        let cache = VerifiedSignerCache()
        let trust = try platform.trustStore()
        #expect(try signature.verify(manifest: manifest, sender: "1310000001", trustStore: trust, at: TestPlatform.now, cache: cache).identity.officeNumber == "1310000001")
        #expect(cache.count == 1)
        // The same signer, cached: the manifest, the sender and the time are still judged.
        expectError(.manifestMismatch) { try signature.verify(manifest: manifest + [0x0A], sender: "1310000001", trustStore: trust, at: TestPlatform.now, cache: cache) }
        expectError(.signerNotSender) { try signature.verify(manifest: manifest, sender: "1310000002", trustStore: trust, at: TestPlatform.now, cache: cache) }
        expectError(.certificateExpired) {
            try signature.verify(manifest: manifest, sender: "1310000001", trustStore: trust, at: TestPlatform.now + 400 * TestPlatform.day, cache: cache)
        }
        // Another trust store (here one whose CRL revokes the signer) is not answered from the cache.
        let revoked = try platform.revoking([office.certificate]).trustStore()
        expectError(.certificateRevoked) { try signature.verify(manifest: manifest, sender: "1310000001", trustStore: revoked, at: TestPlatform.now, cache: cache) }
    }
}
