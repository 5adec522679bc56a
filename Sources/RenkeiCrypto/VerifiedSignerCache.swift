import Foundation
import Synchronization

/// Signers whose certificate chains one trust store has verified, by the SHA-256 of the certificate: a
/// signer's chain (its issuers' signatures, the CRL) is verified once per certificate, not once per
/// signature. An entry is used only for the trust store that verified it and only within the certificate's
/// validity; revocation after the store was made is the caller's to check (the platform keeps its own
/// record of revocations). Holds at most `capacity` signers; when full, it starts again empty.
public final class VerifiedSignerCache: Sendable {
    private struct Entry: Sendable {
        var identity: VerifiedIdentity
        var notBefore: Date
        var trustStore: ObjectIdentifier
    }

    private let entries = Mutex<[SHA256Digest: Entry]>([:])
    private let certificates = Mutex<[SHA256Digest: ParsedCertificate]>([:])
    private let capacity: Int

    /// An empty cache of at most `capacity` signers.
    public init(capacity: Int = 100_000) { self.capacity = max(1, capacity) }

    func identity(of certificate: Certificate, fingerprint: SHA256Digest, trustStore: TrustStore, at time: Date) -> VerifiedIdentity? {
        guard let entry = entries.withLock({ $0[fingerprint] }), entry.trustStore == ObjectIdentifier(trustStore),
              entry.notBefore <= time, time <= entry.identity.notAfter else { return nil }
        return entry.identity
    }

    func insert(_ identity: VerifiedIdentity, notBefore: Date, fingerprint: SHA256Digest, trustStore: TrustStore) {
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[fingerprint] = Entry(identity: identity, notBefore: notBefore, trustStore: ObjectIdentifier(trustStore))
        }
    }

    /// A certificate parsed once: the certificate, the SHA-256 of its DER, and how a signature names it.
    struct ParsedCertificate {
        let certificate: Certificate
        let fingerprint: SHA256Digest
        /// Nil when its DER is not plain (signatures it made take `CMS_verify`'s path).
        let candidate: PlainSignedData.Candidate?
        /// Whether it has an office certificate's shape (`SendUnitSignature.checkProfile`), which never changes.
        let profile: Result<Void, CryptoError>
    }

    /// The certificate whose DER is `der`, parsed once (later calls with the same bytes return it).
    func certificate(der: [UInt8]) throws(CryptoError) -> ParsedCertificate {
        let fingerprint = SHA256.hash(der)
        if let known = certificates.withLock({ $0[fingerprint] }) { return known }
        let certificate = try Certificate(der: der)
        let parsed = ParsedCertificate(certificate: certificate, fingerprint: fingerprint, candidate: PlainSignedData.Candidate(certificate, der: der),
                                       profile: Result { () throws(CryptoError) in try SendUnitSignature.checkProfile(of: certificate) })
        certificates.withLock { certificates in
            if certificates.count >= capacity { certificates.removeAll(keepingCapacity: true) }
            certificates[fingerprint] = parsed
        }
        return parsed
    }

    /// The signers held.
    public var count: Int { entries.withLock { $0.count } }
}
