import Foundation
import RenkeiCrypto
import Testing

/// The handshake check: a peer's DER chain and a time in, a verified identity or a typed refusal out.
@Suite struct TrustStoreTests {
    let platform: TestPlatform
    let now = TestPlatform.now
    let day = TestPlatform.day

    init() throws { platform = try TestPlatform() }

    @Test func validOfficeChainGivesItsIdentity() throws {
        let office = try platform.issue("1310000001")
        let verified = try platform.trustStore().verify(chainDER: office.chainDER, at: now)
        #expect(verified.identity == (try OfficeIdentity(officeNumber: "1310000001", role: .office)))
        #expect(verified.serialNumber == office.certificate.serialNumber)
        #expect(!verified.isExternal)
        // The intermediate is configured in the store, so a peer may send its leaf alone.
        #expect(try platform.trustStore().verify(chainDER: [office.certificate.der], at: now).identity.officeNumber == "1310000001")
        let auditor = try platform.issue("9900000001", role: .auditor)
        #expect(try platform.trustStore().verify(chainDER: auditor.chainDER, at: now).identity.role == .auditor)
    }

    @Test func expiredAndNotYetValidCertificatesAreRefused() throws {
        let expired = try platform.issue(notBefore: now - 30 * day, notAfter: now - day)
        let future = try platform.issue(notBefore: now + day, notAfter: now + 30 * day)
        let store = try platform.trustStore()
        expectError(.certificateExpired) { try store.verify(chainDER: expired.chainDER, at: now) }
        expectError(.certificateNotYetValid) { try store.verify(chainDER: future.chainDER, at: now) }
        // The same certificates at a time inside their validity are fine: the time is the caller's.
        #expect(throws: Never.self) { try store.verify(chainDER: expired.chainDER, at: now - 2 * day + 1) }
    }

    @Test func revokedCertificateIsRefusedAndOthersStillPass() throws {
        let revoked = try platform.issue("1310000001")
        let other = try platform.issue("1310000002")
        #expect(throws: Never.self) { try platform.trustStore().verify(chainDER: revoked.chainDER, at: now) }
        let store = try platform.revoking([revoked.certificate]).trustStore()
        let error = expectError(.certificateRevoked) { try store.verify(chainDER: revoked.chainDER, at: now) }
        #expect(error?.openSSLReasons.first == "certificate revoked")
        #expect(try store.verify(chainDER: other.chainDER, at: now).identity.officeNumber == "1310000002")
    }

    @Test func unknownOrWrongIssuerIsRefused() throws {
        let stranger = try TestPlatform(name: "Elsewhere").issue()
        expectError(.untrustedIssuer) { try platform.trustStore().verify(chainDER: stranger.chainDER, at: now) }
        // Same CA names, different keys: the chain names our issuer but is not signed by it.
        let lookalike = try TestPlatform().issue()
        expectError(.untrustedIssuer) { try platform.trustStore().verify(chainDER: [lookalike.certificate.der], at: now) }
        // The trusted root itself is a CA, not a client.
        expectError(.wrongKeyUsage) { try platform.trustStore().verify(chainDER: [platform.ca.root.der], at: now) }
    }

    @Test func serverCertificateIsNotAnOfficeIdentity() throws {
        let key = try PrivateKey.generate()
        let server = try platform.ca.issueServerCertificate(key: key, hostNames: ["renkei.example"], notBefore: now - day,
                                                            notAfter: now + day)
        let store = try platform.trustStore()
        expectError(.wrongKeyUsage) { try store.verify(chainDER: [server.der, platform.ca.intermediate.der], at: now) }
        expectError(.wrongKeyUsage) { try store.verify(chain: [server], at: now, use: .sendUnitSigning) }
    }

    @Test func certificateWithoutDigitalSignatureIsRefused() throws {
        let openssl = try OpenSSLCommand()
        try platform.write(to: openssl)
        try openssl.write("ext.cnf", """
            [ok]
            basicConstraints = critical,CA:FALSE
            keyUsage = critical,digitalSignature
            extendedKeyUsage = clientAuth
            [nosign]
            basicConstraints = critical,CA:FALSE
            keyUsage = critical,keyEncipherment
            extendedKeyUsage = clientAuth

            """)
        try openssl.runChecked("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                               "-keyout", "office.key", "-subj", "/OU=office/CN=1310000007", "-out", "office.csr")
        for section in ["ok", "nosign"] {
            try openssl.runChecked("x509", "-req", "-in", "office.csr", "-CA", "intermediate.pem", "-CAkey", "intermediate.key",
                                   "-set_serial", "0x7E57", "-days", "30", "-extfile", "ext.cnf", "-extensions", section,
                                   "-out", "\(section).pem")
        }
        let store = try platform.trustStore()
        // A certificate the openssl command line issued from our CA verifies here like our own (its
        // validity starts at the wall clock, which may be later than `now`).
        let later = Date() + 5
        let ok = try store.verify(chainDER: [Certificate(pem: openssl.readText("ok.pem")).der], at: later)
        #expect(ok.identity.officeNumber == "1310000007")
        #expect(ok.serialNumber.hex == "7E57")
        let noSign = try Certificate(pem: openssl.readText("nosign.pem"))
        #expect(!noSign.keyUsage.contains(.digitalSignature))
        expectError(.wrongKeyUsage) { try store.verify(chain: [noSign], at: later) }
    }

    @Test func revocationStateMustBeKnown() throws {
        let office = try platform.issue()
        let noCRL = try TrustStore(platform: platform.ca, revocationList: nil)
        expectError(.revocationStatusUnknown) { try noCRL.verify(chainDER: office.chainDER, at: now) }
        let stale = try platform.ca.makeRevocationList(revoked: [], number: 1, thisUpdate: now - 10 * day, nextUpdate: now - day)
        let staleStore = try noCRL.replacingRevocationLists([stale])
        expectError(.revocationStatusUnknown) { try staleStore.verify(chainDER: office.chainDER, at: now) }
        let foreign = try TestPlatform(name: "Elsewhere").crl
        expectError(.revocationStatusUnknown) { try noCRL.replacingRevocationLists([foreign]).verify(chainDER: office.chainDER, at: now) }
    }

    @Test func badChainInputIsRefusedBeforeOpenSSLSeesIt() throws {
        let store = try platform.trustStore()
        let office = try platform.issue()
        expectError(.invalidChain) { try store.verify(chainDER: [], at: now) }
        expectError(.invalidChain) { try store.verify(chainDER: Array(repeating: office.certificate.der, count: 6), at: now) }
        expectError(.malformedDER) { try store.verify(chainDER: [[0x30, 0x82, 0x01]], at: now) }
        expectError(.inputTooLarge) { try store.verify(chainDER: [[UInt8](repeating: 0, count: 100_000)], at: now) }
    }

    @Test func verificationIsSafeFromManyTasksAtOnce() async throws {
        let store = try platform.trustStore()
        let chains = try (0..<8).map { try platform.issue(String(1_310_000_010 + $0)).chainDER }
        let numbers = try await withThrowingTaskGroup(of: String.self) { group in
            for chain in chains {
                group.addTask { try store.verify(chainDER: chain, at: TestPlatform.now).identity.officeNumber }
            }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(numbers == Set((0..<8).map { String(1_310_000_010 + $0) }))
    }
}
