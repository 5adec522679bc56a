internal import COpenSSL
import Foundation

/// What a verified certificate will be used for; each use has its own key-usage rules.
public struct CertificateUse: Hashable, Sendable, CustomStringConvertible {
    /// OpenSSL's X509_PURPOSE number; only the uses below exist, so no caller can ask for a laxer purpose.
    let rawValue: Int32
    private init(rawValue: Int32) { self.rawValue = rawValue }

    /// A TLS client certificate at the handshake: digitalSignature, and clientAuth when the certificate
    /// lists extended key usages.
    public static let tlsClient = CertificateUse(rawValue: X509_PURPOSE_SSL_CLIENT)
    /// Signing a send unit (CMS): digitalSignature or nonRepudiation, and emailProtection when the
    /// certificate lists extended key usages.
    public static let sendUnitSigning = CertificateUse(rawValue: X509_PURPOSE_SMIME_SIGN)

    /// The use's name.
    public var description: String { self == .tlsClient ? "TLS client" : "send-unit signing" }
}

/// An identity that a certificate chain proved at a given time.
public struct VerifiedIdentity: Hashable, Sendable, CustomStringConvertible {
    /// The office number and role, from the leaf's subject (Identity.md).
    public var identity: OfficeIdentity
    /// The leaf certificate's serial number (the one a revocation names).
    public var serialNumber: CertificateSerialNumber
    /// The end of the leaf's validity.
    public var notAfter: Date
    /// Whether the chain ends at a trusted external issuer rather than the platform root.
    public var isExternal: Bool

    public var description: String { "\(identity) (serial \(serialNumber)\(isExternal ? ", external issuer" : ""))" }
}

/// The certificates and CRLs that decide who may connect and sign: the platform roots, the issuing
/// intermediates, trusted external issuers (such as the 電子請求受付システム CA) and the current CRLs.
///
/// The server calls ``verify(chainDER:at:use:)`` from its TLS certificate-verification callback with
/// the peer's chain, leaf first; ``SendUnitSignature`` calls it for a signer. A chain to the platform
/// root needs a current CRL from the leaf's issuer (`revocationStatusUnknown` otherwise); a chain to an
/// external issuer is checked against a CRL when one from that issuer is loaded. With the root's own CRL
/// loaded (``PlatformCA/makeRootRevocationList(revoked:number:thisUpdate:nextUpdate:)``), every level of a
/// platform chain is checked for revocation, so a revoked intermediate is refused; without it, the leaf. Immutable and `Sendable`: OpenSSL 3's X509_STORE is safe for concurrent
/// verification. To publish a new CRL, make a new store with ``replacingRevocationLists(_:)``.
public final class TrustStore: @unchecked Sendable {
    /// The platform's self-signed roots.
    public let roots: [Certificate]
    /// Intermediates offered with every chain (the platform's issuing CA), so a peer may omit them.
    public let intermediates: [Certificate]
    /// External CAs whose certificates map to offices by the same subject rule (role office only).
    public let externalIssuers: [Certificate]
    /// The CRLs checked.
    public let revocationLists: [CertificateRevocationList]

    /// Whether a root's own CRL is loaded: then platform chains are checked against CRLs at every level,
    /// so a revoked intermediate is refused (and a missing or stale CRL at any level too).
    public let checksEveryLevel: Bool
    /// Whether chains are checked against CRLs at all (true, except for an auditor's historical checks,
    /// which judge revocation against the time of each signature themselves).
    public let checksRevocation: Bool
    private let platformStore: OpaquePointer
    private let externalStore: OpaquePointer

    /// A store trusting `roots` and `externalIssuers`, using `intermediates` to build chains and
    /// `revocationLists` for revocation.
    public init(roots: [Certificate], intermediates: [Certificate] = [], externalIssuers: [Certificate] = [],
                revocationLists: [CertificateRevocationList] = [], checksRevocation: Bool = true) throws(CryptoError) {
        self.checksRevocation = checksRevocation
        guard !roots.isEmpty, (roots + externalIssuers).allSatisfy(\.isCertificateAuthority) else {
            throw CryptoError(.invalidParameter, "a trust store needs at least one root, and every anchor must be a CA")
        }
        self.roots = roots
        self.intermediates = intermediates
        self.externalIssuers = externalIssuers
        self.revocationLists = revocationLists
        checksEveryLevel = revocationLists.contains { crl in
            roots.contains { X509_NAME_cmp(X509_CRL_get_issuer(crl.pointer), X509_get_subject_name($0.pointer)) == 0 }
        }
        platformStore = try Self.makeStore(anchors: roots, revocationLists: revocationLists)
        do {
            externalStore = try Self.makeStore(anchors: externalIssuers, revocationLists: revocationLists)
        } catch {
            X509_STORE_free(platformStore)
            throw error
        }
    }

    /// A store for the platform `ca`, its current `revocationList`, and `externalIssuers`.
    public convenience init(platform ca: PlatformCA, revocationList: CertificateRevocationList?,
                            rootRevocationList: CertificateRevocationList? = nil,
                            externalIssuers: [Certificate] = []) throws(CryptoError) {
        try self.init(roots: [ca.root], intermediates: [ca.intermediate], externalIssuers: externalIssuers,
                      revocationLists: [revocationList, rootRevocationList].compactMap { $0 })
    }

    deinit {
        X509_STORE_free(platformStore)
        X509_STORE_free(externalStore)
    }

    /// The same anchors with `revocationLists` instead of the current ones.
    public func replacingRevocationLists(_ revocationLists: [CertificateRevocationList]) throws(CryptoError) -> TrustStore {
        try TrustStore(roots: roots, intermediates: intermediates, externalIssuers: externalIssuers,
                       revocationLists: revocationLists)
    }

    /// Verifies a peer's chain, given as DER certificates leaf first, at time `time` for `use`, and
    /// returns who it proves. Throws `invalidChain`, `inputTooLarge` or `malformedDER` for bad input,
    /// and `certificateExpired`, `certificateNotYetValid`, `certificateRevoked`, `untrustedIssuer`,
    /// `wrongKeyUsage`, `revocationStatusUnknown` or `subjectNotRecognized` for a refusal.
    public func verify(chainDER: [[UInt8]], at time: Date, use: CertificateUse = .tlsClient) throws(CryptoError) -> VerifiedIdentity {
        guard (1...CryptoLimits.maximumChainLength).contains(chainDER.count) else {
            throw CryptoError(.invalidChain, "a chain has 1 to \(CryptoLimits.maximumChainLength) certificates, not \(chainDER.count)")
        }
        var chain: [Certificate] = []
        for der in chainDER { chain.append(try Certificate(der: der)) }
        return try verify(chain: chain, at: time, use: use)
    }

    /// Verifies a chain of certificates, leaf first; see ``verify(chainDER:at:use:)``.
    public func verify(chain: [Certificate], at time: Date, use: CertificateUse = .tlsClient) throws(CryptoError) -> VerifiedIdentity {
        guard let leaf = chain.first, chain.count <= CryptoLimits.maximumChainLength else {
            throw CryptoError(.invalidChain, "a chain has 1 to \(CryptoLimits.maximumChainLength) certificates, not \(chain.count)")
        }
        // An identity is never a CA, whatever key usages the CA certificate also lists.
        guard !leaf.isCertificateAuthority else {
            throw CryptoError(.wrongKeyUsage, "\(leaf.subject) is a CA certificate and cannot identify an office, operator or auditor")
        }
        // Validity first: an expired certificate is reported as expired, whatever else (a stale CRL) is wrong.
        let seconds = time.timeIntervalSince1970
        guard leaf.notAfter.timeIntervalSince1970 >= seconds.rounded(.down) else {
            throw CryptoError(.certificateExpired, "the certificate expired at \(leaf.notAfter)")
        }
        guard leaf.notBefore.timeIntervalSince1970 <= seconds else {
            throw CryptoError(.certificateNotYetValid, "the certificate is valid from \(leaf.notBefore)")
        }
        let untrusted = try CertificateStack(borrowing: Array(chain.dropFirst()) + intermediates)
        let platformFailure = Self.run(platformStore, leaf: leaf, untrusted: untrusted, time: time, use: use, checkCRL: checksRevocation,
                                       checkAll: checksEveryLevel)
        var isExternal = false
        if let failure = platformFailure {
            guard failure.code == .untrustedIssuer, !externalIssuers.isEmpty else { throw failure }
            let hasCRL = revocationLists.contains { X509_NAME_cmp(X509_CRL_get_issuer($0.pointer), X509_get_issuer_name(leaf.pointer)) == 0 }
            if let externalFailure = Self.run(externalStore, leaf: leaf, untrusted: untrusted, time: time, use: use, checkCRL: hasCRL && checksRevocation, checkAll: false) {
                throw externalFailure.code == .untrustedIssuer ? failure : externalFailure
            }
            isExternal = true
        }
        let identity = try leaf.claimedIdentity()
        if isExternal, identity.role != .office {
            throw CryptoError(.subjectNotRecognized, "a certificate from an external issuer can only identify an office, not \(identity.role)")
        }
        return VerifiedIdentity(identity: identity, serialNumber: leaf.serialNumber, notAfter: leaf.notAfter, isExternal: isExternal)
    }

    /// Runs OpenSSL's chain verification; nil on success, else the refusal.
    private static func run(_ store: OpaquePointer, leaf: Certificate, untrusted: CertificateStack, time: Date,
                            use: CertificateUse, checkCRL: Bool, checkAll: Bool) -> CryptoError? {
        OpenSSLErrorQueue.clear()
        guard let context = X509_STORE_CTX_new() else { return .openSSL(.openSSLFailure, "out of memory") }
        defer { X509_STORE_CTX_free(context) }
        guard X509_STORE_CTX_init(context, store, leaf.pointer, untrusted.pointer) == 1,
              X509_STORE_CTX_set_purpose(context, use.rawValue) == 1,
              let parameters = X509_STORE_CTX_get0_param(context) else {
            return .openSSL(.openSSLFailure, "could not set up certificate verification")
        }
        X509_VERIFY_PARAM_set_time(parameters, time_t(time.timeIntervalSince1970.rounded(.down)))
        // At least 112-bit security along the whole chain: no RSA under 2048 bits, no SHA-1 signatures.
        X509_VERIFY_PARAM_set_auth_level(parameters, 2)
        if checkCRL { X509_VERIFY_PARAM_set_flags(parameters, UInt(checkAll ? X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL : X509_V_FLAG_CRL_CHECK)) }
        if X509_verify_cert(context) == 1 { return nil }
        let error = X509_STORE_CTX_get_error(context)
        let depth = X509_STORE_CTX_get_error_depth(context)
        let text = String(cString: X509_verify_cert_error_string(Int(error)))
        var reasons = OpenSSLErrorQueue.drain().map(\.text)
        reasons.insert(text, at: 0)
        let which = depth == 0 ? "the certificate" : "the issuing CA at depth \(depth)"
        return switch error {
        case X509_V_ERR_CERT_HAS_EXPIRED:
            CryptoError(.certificateExpired, "\(which) has expired", openSSLReasons: reasons)
        case X509_V_ERR_CERT_NOT_YET_VALID:
            CryptoError(.certificateNotYetValid, "\(which) is not valid yet", openSSLReasons: reasons)
        case X509_V_ERR_CERT_REVOKED:
            CryptoError(.certificateRevoked, "\(which) has been revoked", openSSLReasons: reasons)
        case X509_V_ERR_INVALID_PURPOSE, X509_V_ERR_KEYUSAGE_NO_DIGITAL_SIGNATURE:
            CryptoError(.wrongKeyUsage, "\(which) may not be used for \(use)", openSSLReasons: reasons)
        case X509_V_ERR_UNABLE_TO_GET_CRL, X509_V_ERR_CRL_HAS_EXPIRED, X509_V_ERR_CRL_NOT_YET_VALID,
             X509_V_ERR_CRL_SIGNATURE_FAILURE, X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER, X509_V_ERR_KEYUSAGE_NO_CRL_SIGN,
             X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE, X509_V_ERR_DIFFERENT_CRL_SCOPE:
            CryptoError(.revocationStatusUnknown, "no current CRL answers for \(which)", openSSLReasons: reasons)
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
             X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT,
             X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN, X509_V_ERR_CERT_SIGNATURE_FAILURE, X509_V_ERR_CERT_UNTRUSTED,
             X509_V_ERR_CERT_REJECTED, X509_V_ERR_INVALID_CA, X509_V_ERR_AKID_SKID_MISMATCH,
             X509_V_ERR_AKID_ISSUER_SERIAL_MISMATCH, X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE,
             X509_V_ERR_PATH_LENGTH_EXCEEDED, X509_V_ERR_KEYUSAGE_NO_CERTSIGN:
            CryptoError(.untrustedIssuer, "\(which) is not issued by the platform CA or a trusted issuer", openSSLReasons: reasons)
        default:
            CryptoError(.certificateInvalid, "\(which) failed verification", openSSLReasons: reasons)
        }
    }

    private static func makeStore(anchors: [Certificate], revocationLists: [CertificateRevocationList]) throws(CryptoError) -> OpaquePointer {
        guard let store = X509_STORE_new() else { throw .openSSL(.openSSLFailure, "out of memory") }
        for anchor in anchors where X509_STORE_add_cert(store, anchor.pointer) != 1 {
            X509_STORE_free(store)
            throw .openSSL(.openSSLFailure, "could not add a trust anchor")
        }
        for crl in revocationLists where X509_STORE_add_crl(store, crl.pointer) != 1 {
            X509_STORE_free(store)
            throw .openSSL(.openSSLFailure, "could not add a CRL")
        }
        return store
    }
}
