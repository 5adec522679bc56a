import Foundation
import RenkeiCrypto
import Testing

/// A platform CA with a current (empty or given) CRL, and helpers to issue office certificates.
struct TestPlatform {
    static let now = Date()
    static let day: TimeInterval = 86400

    let ca: PlatformCA
    let crl: CertificateRevocationList

    init(name: String = "Renkei Test", revoked: [RevokedCertificate] = []) throws {
        // The CA was made 90 days ago, so tests can issue certificates that have already expired.
        ca = try PlatformCA.generate(name: name, now: Self.now - 90 * Self.day)
        crl = try ca.makeRevocationList(revoked: revoked, number: 1, thisUpdate: Self.now - 60 * Self.day,
                                        nextUpdate: Self.now + 7 * Self.day)
    }

    private init(ca: PlatformCA, crl: CertificateRevocationList) {
        self.ca = ca
        self.crl = crl
    }

    /// The same CA with a new CRL revoking `certificates`.
    func revoking(_ certificates: [Certificate]) throws -> TestPlatform {
        let entries = certificates.map { RevokedCertificate(serialNumber: $0.serialNumber, revocationDate: Self.now - 3600) }
        let crl = try ca.makeRevocationList(revoked: entries, number: 2, thisUpdate: Self.now - 60 * Self.day,
                                            nextUpdate: Self.now + 7 * Self.day)
        return TestPlatform(ca: ca, crl: crl)
    }

    /// A trust store for this platform with its CRL.
    func trustStore(externalIssuers: [Certificate] = []) throws -> TrustStore {
        try TrustStore(platform: ca, revocationList: crl, externalIssuers: externalIssuers)
    }

    /// A new key and a certificate for `officeNumber` in `role`, valid from `notBefore` to `notAfter`.
    func issue(_ officeNumber: String = "1310000001", role: OfficeIdentity.Role = .office,
               notBefore: Date = now - day, notAfter: Date = now + 365 * day) throws -> Credential {
        let key = try PrivateKey.generate()
        let identity = try OfficeIdentity(officeNumber: officeNumber, role: role)
        let request = try CertificateSigningRequest(key: key, identity: identity)
        let certificate = try ca.issueCertificate(for: request, identity: identity, notBefore: notBefore, notAfter: notAfter)
        return try Credential(key: key, certificate: certificate, chain: [ca.intermediate])
    }

    /// Writes root.pem, intermediate.pem, intermediate.key and crl.pem into the command's directory.
    func write(to openssl: OpenSSLCommand) throws {
        try openssl.write("root.pem", ca.root.pem)
        try openssl.write("intermediate.pem", ca.intermediate.pem)
        try openssl.write("intermediate.key", ca.intermediateKey.pem())
        try openssl.write("crl.pem", crl.pem)
    }
}

extension Credential {
    /// The chain as DER, leaf first, as a TLS peer presents it.
    var chainDER: [[UInt8]] { ([certificate] + chain).map(\.der) }
}

/// Expects `body` to throw a CryptoError with `code`, and returns the error.
@discardableResult
func expectError<R>(_ code: CryptoError.Code, sourceLocation: SourceLocation = #_sourceLocation,
                    _ body: () throws -> R) -> CryptoError? {
    let error = #expect(throws: CryptoError.self, sourceLocation: sourceLocation) { _ = try body() }
    #expect(error?.code == code, "expected \(code), got \(String(describing: error))", sourceLocation: sourceLocation)
    return error
}

extension SendUnitSignature {
    /// Verifies three ways — the general path, the path that hands OpenSSL already-parsed certificates (with a
    /// fresh signer cache), and that path again with the chain cached — and records an issue unless all three
    /// agree (the same signer, or the same error code). Returns or throws the general path's result.
    func verifyEveryWay(manifest: [UInt8], sender: String, trustStore: TrustStore, at time: Date,
                        sourceLocation: SourceLocation = #_sourceLocation) throws(CryptoError) -> VerifiedIdentity {
        func attempt(_ cache: VerifiedSignerCache?) -> Result<VerifiedIdentity, CryptoError> {
            do { return .success(try verify(manifest: manifest, sender: sender, trustStore: trustStore, at: time, cache: cache)) } catch {
                return .failure(error)
            }
        }
        let cache = VerifiedSignerCache()
        let results = [attempt(nil), attempt(cache), attempt(cache)]
        func outcome(_ result: Result<VerifiedIdentity, CryptoError>) -> String {
            switch result {
            case .success(let identity): "ok \(identity)"
            case .failure(let error): "error \(error.code)"
            }
        }
        #expect(Set(results.map(outcome)).count == 1, "the paths disagree: \(results.map(outcome))", sourceLocation: sourceLocation)
        return try results[0].get()
    }
}
