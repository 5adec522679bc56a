internal import COpenSSL
import Foundation

/// The platform's certificate authority: a self-signed root and an issuing intermediate below it.
///
/// The intermediate issues every office, operator, auditor and server certificate and signs the CRL;
/// the root only certifies the intermediate, so its key can stay offline (``rootKey`` is `nil` when the
/// CA was loaded without it). Every issued certificate has a random 127-bit serial number, SHA-256
/// signatures, basicConstraints, keyUsage, extendedKeyUsage and key identifiers. Immutable, so
/// `Sendable`; issuing from several threads at once is safe.
public struct PlatformCA: Sendable {
    /// The self-signed root certificate: the trust anchor that offices and auditors configure.
    public let root: Certificate
    /// The root's key, when present (only needed to issue a new intermediate).
    public let rootKey: PrivateKey?
    /// The issuing intermediate certificate.
    public let intermediate: Certificate
    /// The intermediate's key, which signs certificates and CRLs.
    public let intermediateKey: PrivateKey

    /// A CA from its parts; throws `invalidParameter` if the intermediate's key or issuer does not fit.
    public init(root: Certificate, rootKey: PrivateKey? = nil, intermediate: Certificate,
                intermediateKey: PrivateKey) throws(CryptoError) {
        guard intermediateKey.matches(intermediate), rootKey.map({ $0.matches(root) }) ?? true else {
            throw CryptoError(.invalidParameter, "a CA key does not belong to its certificate")
        }
        guard intermediate.isIssued(byNameOf: root), intermediate.isCertificateAuthority, root.isCertificateAuthority else {
            throw CryptoError(.invalidParameter, "the intermediate is not a CA issued by the root")
        }
        self.root = root
        self.rootKey = rootKey
        self.intermediate = intermediate
        self.intermediateKey = intermediateKey
    }

    /// A new CA: fresh P-256 keys, a root valid for `rootYears` and an intermediate valid for
    /// `intermediateYears` from `now` (each starting an hour earlier, to allow for clock skew).
    public static func generate(name: String = "Renkei Platform", now: Date = Date(),
                                rootYears: Int = 20, intermediateYears: Int = 10) throws(CryptoError) -> PlatformCA {
        guard rootYears > 0, intermediateYears > 0, intermediateYears <= rootYears else {
            throw CryptoError(.invalidParameter, "the CA validity periods must be positive, the intermediate's no longer")
        }
        let start = now.addingTimeInterval(-3600)
        let rootKey = try PrivateKey.generate()
        let rootName = try DistinguishedName.make([(NID_organizationName, name), (NID_commonName, "\(name) Root CA")])
        defer { X509_NAME_free(rootName) }
        let root = try CertificateBuilder(subject: rootName, publicKey: rootKey.pointer, serialNumber: .random(),
                                          notBefore: start, notAfter: start.addingYears(rootYears), profile: .root)
            .sign(issuer: nil, issuerKey: rootKey)

        let intermediateKey = try PrivateKey.generate()
        let intermediateName = try DistinguishedName.make([(NID_organizationName, name), (NID_commonName, "\(name) Issuing CA 1")])
        defer { X509_NAME_free(intermediateName) }
        let intermediate = try CertificateBuilder(subject: intermediateName, publicKey: intermediateKey.pointer,
                                                  serialNumber: .random(), notBefore: start,
                                                  notAfter: start.addingYears(intermediateYears), profile: .intermediate)
            .sign(issuer: root, issuerKey: rootKey)
        return try PlatformCA(root: root, rootKey: rootKey, intermediate: intermediate, intermediateKey: intermediateKey)
    }

    /// Issues a certificate for `identity` from an office's CSR, after the operator approved it.
    ///
    /// The CSR's signature must verify and its subject must name exactly `identity`
    /// (`requestSubjectMismatch` otherwise); the certificate's subject is built from `identity`, never
    /// copied from the request. Key usage: digitalSignature and nonRepudiation; extended key usage:
    /// clientAuth (mutual TLS) and emailProtection (CMS signatures, as `openssl cms -verify` expects).
    public func issueCertificate(for request: CertificateSigningRequest, identity: OfficeIdentity,
                                 notBefore: Date, notAfter: Date) throws(CryptoError) -> Certificate {
        try issue(request, identity: identity, notBefore: notBefore, notAfter: notAfter, profile: .client)
    }

    /// Issues the platform's TLS server certificate for `key`, naming `hostNames` (DNS names or IP
    /// addresses) in subjectAltName and the first of them in the CN, with `OU=server`.
    public func issueServerCertificate(key: PrivateKey, hostNames: [String],
                                       notBefore: Date, notAfter: Date) throws(CryptoError) -> Certificate {
        guard let first = hostNames.first, hostNames.count <= 16,
              hostNames.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 64 && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-.:".contains($0)) } }) else {
            throw CryptoError(.invalidParameter, "1 to 16 host names of letters, digits, '-', '.' and ':' are needed")
        }
        let request = try CertificateSigningRequest(serverKey: key, hostName: first)
        let names = hostNames.map { name in
            name.allSatisfy({ $0.isNumber || $0 == "." || $0 == ":" }) || name.contains(":") ? "IP:\(name)" : "DNS:\(name)"
        }
        return try issue(request, identity: nil, notBefore: notBefore, notAfter: notAfter,
                         profile: .server(subjectAltNames: names))
    }

    /// Signs a CRL listing `revoked`, valid from `thisUpdate` until `nextUpdate`, with CRL number
    /// `number` (which must grow with every CRL published).
    public func makeRevocationList(revoked: [RevokedCertificate], number: UInt64, thisUpdate: Date,
                                   nextUpdate: Date) throws(CryptoError) -> CertificateRevocationList {
        try CertificateRevocationList.make(issuer: intermediate, issuerKey: intermediateKey, revoked: revoked,
                                           number: number, thisUpdate: thisUpdate, nextUpdate: nextUpdate)
    }

    /// The chain a client or server presents after its own certificate: the intermediate, as PEM.
    public var chainPEM: String { intermediate.pem }

    /// Signs the root's own CRL (listing revoked intermediates) with the root key; a trust store holding it
    /// checks CRLs at every level of a chain. Needs the root key (`invalidParameter` without it).
    public func makeRootRevocationList(revoked: [RevokedCertificate], number: UInt64, thisUpdate: Date,
                                       nextUpdate: Date) throws(CryptoError) -> CertificateRevocationList {
        guard let rootKey else { throw CryptoError(.invalidParameter, "the root key is needed to sign the root CRL") }
        return try CertificateRevocationList.make(issuer: root, issuerKey: rootKey, revoked: revoked, number: number,
                                                  thisUpdate: thisUpdate, nextUpdate: nextUpdate)
    }

    private func issue(_ request: CertificateSigningRequest, identity: OfficeIdentity?, notBefore: Date, notAfter: Date,
                       profile: CertificateBuilder.Profile) throws(CryptoError) -> Certificate {
        let subject: OpaquePointer
        if let identity {
            let requested = try request.requestedIdentity()
            guard requested == identity else {
                throw CryptoError(.requestSubjectMismatch, "the request asks for \(requested), but \(identity) was approved")
            }
            subject = try identity.makeSubject()
        } else {
            try request.verifySignature()
            guard let copy = X509_NAME_dup(X509_REQ_get_subject_name(request.pointer)) else {
                throw .openSSL(.openSSLFailure, "out of memory")
            }
            subject = copy
        }
        defer { X509_NAME_free(subject) }
        guard let publicKey = request.publicKey else { throw CryptoError(.malformedDER, "the request has no key") }
        return try CertificateBuilder(subject: subject, publicKey: publicKey, serialNumber: .random(),
                                      notBefore: notBefore, notAfter: notAfter, profile: profile)
            .sign(issuer: intermediate, issuerKey: intermediateKey)
    }
}

extension Date {
    func addingYears(_ years: Int) -> Date { addingTimeInterval(TimeInterval(years) * 365.25 * 86400) }
}
