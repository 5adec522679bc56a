import Foundation
public import GRPCCore
import GRPCNIOTransportHTTP2
import NIOCore
import NIOSSL
public import RenkeiCore
public import RenkeiCrypto
import RenkeiModel
public import RenkeiStore
import SwiftASN1
import Synchronization
import X509

/// Who is calling: the identity a verified client certificate proves. Never read from a request field.
public struct Caller: Hashable, Sendable, CustomStringConvertible {
    /// The office number and role the certificate names.
    public let identity: OfficeIdentity
    /// The certificate's serial number.
    public let serial: CertificateSerialNumber

    /// The actor the platform records for this caller's commands.
    public var actor: Actor {
        switch identity.role {
        case .operator: .operator(identity.officeNumber)
        case .auditor: .auditor(identity.officeNumber)
        default: .office(OfficeNumber(rawValue: identity.officeNumber)!)
        }
    }

    /// The office, for an office certificate.
    public var office: OfficeNumber? { identity.role == .office ? OfficeNumber(rawValue: identity.officeNumber) : nil }

    public var description: String { "\(identity) (serial \(serial))" }
}

/// Verifies client certificates during the TLS handshake (chain, validity, CRL, through the platform's
/// trust store) and names the caller of each RPC from the certificate the handshake verified. The
/// revocation recorded in the log is checked on every RPC too, so a certificate revoked after a
/// connection opened stops working at once, before any CRL is published.
public final class ClientAuthenticator: Sendable {
    private let trustStore: Mutex<TrustStore>
    private let platform: Platform
    /// Identities already verified, by the SHA-256 of the leaf certificate's DER.
    private let verified = Mutex<[SHA256Digest: VerifiedIdentity]>([:])
    private static let cacheLimit = 10_000

    /// An authenticator trusting what `platform`'s configuration trusts.
    public init(platform: Platform) {
        self.platform = platform
        trustStore = Mutex(platform.configuration.trustStore)
    }

    /// The trust store handshakes use now.
    public var currentTrustStore: TrustStore { trustStore.withLock { $0 } }

    /// Replaces the trust store (a new CRL, a trusted issuer added or removed); later handshakes use it.
    public func replaceTrustStore(_ store: TrustStore) {
        trustStore.withLock { $0 = store }
        verified.withLock { $0.removeAll() }
    }

    /// The TLS layer's verification callback: the peer's chain, leaf first.
    @Sendable
    func verifyHandshake(_ certificates: [NIOSSLCertificate], _ promise: EventLoopPromise<NIOSSLVerificationResultWithMetadata>) {
        do {
            let chain = try certificates.map { try $0.toDERBytes() }
            _ = try verify(chainDER: chain)
            promise.succeed(.certificateVerified(VerificationMetadata(ValidatedCertificateChain(certificates))))
        } catch {
            promise.succeed(.failed)
        }
    }

    func verify(chainDER: [[UInt8]]) throws -> VerifiedIdentity {
        guard let leaf = chainDER.first else { throw CryptoError(.invalidChain, "no certificate") }
        let fingerprint = SHA256.hash(leaf)
        let now = Date(timeIntervalSince1970: Double(platform.configuration.clock().rawValue) / 1_000_000)
        if let known = verified.withLock({ $0[fingerprint] }), known.notAfter >= now { return known }
        let store = trustStore.withLock { $0 }
        let identity = try store.verify(chainDER: chainDER, at: now, use: .tlsClient)
        verified.withLock { cache in
            if cache.count >= Self.cacheLimit { cache.removeAll() }
            cache[fingerprint] = identity
        }
        return identity
    }

    /// Whom the certificate chain of an RPC's connection names, verified (once per certificate, then from
    /// the cache); refuses (UNAUTHENTICATED, 1034) a connection without one, or one expired since. Does not
    /// read the log: see `caller(of:)`.
    public func identity(of context: ServerContext) throws -> VerifiedIdentity {
        guard let transport = context.transportSpecific as? HTTP2ServerTransport.Posix.Context,
              let chain = transport.peerCertificateChain else {
            throw ServerErrors.detail(.unauthenticated, "the connection has no verified client certificate")
        }
        do {
            return try verify(chainDER: try chain.map { certificate in
                var serializer = DER.Serializer()
                try serializer.serialize(certificate)
                return serializer.serializedBytes
            })
        } catch let error as CryptoError {
            throw ServerErrors.detail(.unauthenticated, error.description)
        }
    }

    /// The caller of an RPC: `identity(of:)`, and not revoked in the log (a certificate revoked after its
    /// connection opened is refused at once, before any CRL is published).
    public func caller(of context: ServerContext) async throws -> Caller {
        let identity = try identity(of: context)
        let serial = identity.serialNumber.hex
        let record = try await ServerErrors.mapping { try await platform.query { try await $0.certificate(serial: serial) } }
        if let record, record.revoked {
            throw ServerErrors.detail(.unauthenticated, "certificate \(serial) was revoked: \(record.revocationReason)")
        }
        return Caller(identity: identity.identity, serial: identity.serialNumber)
    }
}
