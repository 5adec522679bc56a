internal import COpenSSL

/// A private key with its certificate and the chain above it: what an office signs and connects with.
///
/// Offices keep their 電子請求 certificates as PKCS#12 (.p12) files; ``init(pkcs12:password:)`` reads
/// one, and ``pkcs12(password:name:)`` writes one (AES-256-CBC, PBKDF2 and an HMAC-SHA256 MAC, OpenSSL
/// 3's defaults, as `openssl pkcs12 -export` writes). Immutable, so `Sendable`.
public struct Credential: Sendable {
    /// The private key.
    public let key: PrivateKey
    /// The certificate for ``key``.
    public let certificate: Certificate
    /// The certificates above ``certificate`` (issuing CA first), without it.
    public let chain: [Certificate]

    /// A credential from its parts; throws `invalidParameter` if the key does not belong to the certificate.
    public init(key: PrivateKey, certificate: Certificate, chain: [Certificate] = []) throws(CryptoError) {
        guard key.matches(certificate) else {
            throw CryptoError(.invalidParameter, "the key does not belong to the certificate \(certificate.subject)")
        }
        self.key = key
        self.certificate = certificate
        self.chain = chain
    }

    /// Reads a PKCS#12 file. A wrong password throws `wrongPassword`; a file that is not PKCS#12, or
    /// holds no key or no certificate, throws `malformedPKCS12`.
    public init(pkcs12 bytes: [UInt8], password: String) throws(CryptoError) {
        try CryptoLimits.check(bytes.count, within: CryptoLimits.maximumPKCS12Bytes, "a PKCS#12 file")
        let secret = try Password.validated(password) + [0]
        OpenSSLErrorQueue.clear()
        let parsed = bytes.withUnsafeBufferPointer { buffer in
            var cursor = buffer.baseAddress
            return d2i_PKCS12(nil, &cursor, buffer.count)
        }
        guard let p12 = parsed else { throw .openSSL(.malformedPKCS12, "the bytes are not a PKCS#12 file") }
        defer { PKCS12_free(p12) }
        let macOK = secret.withUnsafeBufferPointer { PKCS12_verify_mac(p12, $0.baseAddress, Int32($0.count - 1)) }
        guard PKCS12_mac_present(p12) == 0 || macOK == 1 else {
            throw .openSSL(.wrongPassword, "the PKCS#12 password is wrong")
        }
        var keyPointer: OpaquePointer? = nil
        var certificatePointer: OpaquePointer? = nil
        var stack: OpaquePointer? = nil
        let ok = secret.withUnsafeBufferPointer { PKCS12_parse(p12, $0.baseAddress, &keyPointer, &certificatePointer, &stack) }
        let others = stack.map { CertificateStack(owning: $0).certificates } ?? []
        let certificate = certificatePointer.map { Certificate(taking: $0) }
        guard ok == 1, let keyPointer else { throw .openSSL(.malformedPKCS12, "the PKCS#12 file holds no private key") }
        let key = try PrivateKey(taking: keyPointer)
        guard let certificate else { throw CryptoError(.malformedPKCS12, "the PKCS#12 file holds no certificate") }
        try self.init(key: key, certificate: certificate, chain: others)
    }

    /// The credential as a PKCS#12 file protected by `password`, with `name` as its friendly name.
    public func pkcs12(password: String, name: String = "renkei") throws(CryptoError) -> [UInt8] {
        let secret = try Password.validated(password) + [0]
        let extra = try CertificateStack(borrowing: chain)
        OpenSSLErrorQueue.clear()
        let created = secret.withUnsafeBufferPointer { pass in
            PKCS12_create(pass.baseAddress, name, key.pointer, certificate.pointer, extra.pointer, 0, 0, 0, 0, 0)
        }
        guard let p12 = created else { throw .openSSL(.openSSLFailure, "could not make the PKCS#12 file") }
        defer { PKCS12_free(p12) }
        return try encode("a PKCS#12 file") { i2d_PKCS12_bio($0, p12) }.bytes
    }

    /// The certificate and its chain as PEM, leaf first: what a TLS endpoint presents.
    public var certificateChainPEM: String {
        ([certificate] + chain).map(\.pem).joined()
    }
}
