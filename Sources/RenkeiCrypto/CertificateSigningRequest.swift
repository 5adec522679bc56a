internal import COpenSSL

/// A PKCS#10 certificate signing request: an office's public key and the identity it asks for, signed
/// with its private key (`renkei csr`). The platform CA issues a certificate from it.
///
/// Immutable, so `Sendable`.
public final class CertificateSigningRequest: @unchecked Sendable {
    let pointer: OpaquePointer

    init(taking pointer: OpaquePointer) { self.pointer = pointer }

    deinit { X509_REQ_free(pointer) }

    /// A request for `identity`, signed with `key` (SHA-256). The subject follows the subject rule:
    /// `OU=<role>, CN=<事業所番号>`.
    public convenience init(key: PrivateKey, identity: OfficeIdentity) throws(CryptoError) {
        try self.init(key: key, subject: identity.makeSubject())
    }

    /// A request for the platform's TLS server key: `OU=server, CN=<host>`.
    convenience init(serverKey key: PrivateKey, hostName: String) throws(CryptoError) {
        try self.init(key: key, subject: DistinguishedName.make([
            (NID_organizationalUnitName, OfficeIdentity.Role.server.rawValue), (NID_commonName, hostName),
        ]))
    }

    private convenience init(key: PrivateKey, subject: OpaquePointer) throws(CryptoError) {
        defer { X509_NAME_free(subject) }
        guard let request = X509_REQ_new() else { throw .openSSL(.openSSLFailure, "out of memory") }
        self.init(taking: request)
        guard X509_REQ_set_version(request, 0) == 1,
              X509_REQ_set_subject_name(request, subject) == 1,
              X509_REQ_set_pubkey(request, key.pointer) == 1 else {
            throw .openSSL(.openSSLFailure, "could not fill the certificate request")
        }
        guard X509_REQ_sign(request, key.pointer, EVP_sha256()) > 0 else {
            throw .openSSL(.openSSLFailure, "could not sign the certificate request")
        }
    }

    /// Reads a request from PEM ("CERTIFICATE REQUEST", as `openssl req -new` writes it).
    public convenience init(pem: String) throws(CryptoError) {
        try checkPEM(pem, label: "CERTIFICATE REQUEST")
        let bio = try MemoryBIO(Array(pem.utf8))
        OpenSSLErrorQueue.clear()
        guard let request = PEM_read_bio_X509_REQ(bio.pointer, nil, nil, nil) else {
            throw .openSSL(.malformedPEM, "the PEM text holds no certificate request")
        }
        self.init(taking: request)
    }

    /// Reads a request from DER.
    public convenience init(der: [UInt8]) throws(CryptoError) {
        self.init(taking: try decodeDER(der, limit: CryptoLimits.maximumDERBytes, "a certificate request") { d2i_X509_REQ(nil, &$0, $1) })
    }

    /// The request as PEM.
    public var pem: String {
        encodeInMemory("a certificate request") { PEM_write_bio_X509_REQ($0, pointer) }.string
    }

    /// The request as DER.
    public var der: [UInt8] {
        encodeInMemory("a certificate request") { i2d_X509_REQ_bio($0, pointer) }.bytes
    }

    /// The subject in RFC 2253 form.
    public var subject: String { DistinguishedName.text(X509_REQ_get_subject_name(pointer)) }

    /// The identity the subject asks for, after checking the request's key and its self-signature:
    /// `requestSignatureInvalid` when the signature fails, `unsupportedKey` for a key we do not accept,
    /// `subjectNotRecognized` or `invalidOfficeNumber`-class errors when the subject breaks the rule.
    public func requestedIdentity() throws(CryptoError) -> OfficeIdentity {
        try verifySignature()
        return try OfficeIdentity(subject: X509_REQ_get_subject_name(pointer))
    }

    /// Checks the key kind and the self-signature.
    func verifySignature() throws(CryptoError) {
        guard let publicKey = X509_REQ_get0_pubkey(pointer) else {
            throw .openSSL(.malformedDER, "the certificate request has no public key")
        }
        _ = try PrivateKey.kind(of: publicKey)
        OpenSSLErrorQueue.clear()
        guard X509_REQ_verify(pointer, publicKey) == 1 else {
            throw .openSSL(.requestSignatureInvalid, "the certificate request's signature does not verify with its key")
        }
    }

    /// The request's public key (borrowed; lives as long as the request).
    var publicKey: OpaquePointer? { X509_REQ_get0_pubkey(pointer) }
}
