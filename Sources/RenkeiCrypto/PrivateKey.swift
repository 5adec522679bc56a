internal import COpenSSL
import Foundation

/// The kind of a key pair: EC P-256 (the default for everything Renkei makes), or RSA.
public enum KeyKind: Hashable, Sendable, CustomStringConvertible {
    /// ECDSA on NIST P-256 (prime256v1, secp256r1).
    case ecP256
    /// ECDSA on NIST P-384 (accepted when imported, e.g. from an external issuer's .p12).
    case ecP384
    /// RSA with a modulus of `bits` bits; at least 2048 are accepted.
    case rsa(bits: Int)

    public var description: String {
        switch self {
        case .ecP256: "EC P-256"
        case .ecP384: "EC P-384"
        case .rsa(let bits): "RSA \(bits)"
        }
    }
}

/// A private key (and its public half) held by libcrypto.
///
/// Generate one, or read it from PEM or DER (PKCS#8, plain or encrypted with a password, or the older
/// "EC PRIVATE KEY" / "RSA PRIVATE KEY" forms). Only EC P-256, EC P-384 and RSA of 2048 bits and more
/// are accepted. Immutable after creation, so it is `Sendable`: OpenSSL 3 allows concurrent signing
/// with one `EVP_PKEY`, because every operation makes its own context.
public final class PrivateKey: @unchecked Sendable {
    let pointer: OpaquePointer

    /// The key's kind.
    public let kind: KeyKind

    init(taking pointer: OpaquePointer) throws(CryptoError) {
        self.pointer = pointer
        do {
            kind = try Self.kind(of: pointer)
        } catch {
            EVP_PKEY_free(pointer)
            throw error
        }
    }

    deinit { EVP_PKEY_free(pointer) }

    /// A new random key of `kind` (EC P-256 unless said otherwise).
    public static func generate(_ kind: KeyKind = .ecP256) throws(CryptoError) -> PrivateKey {
        let algorithm = if case .rsa = kind { "RSA" } else { "EC" }
        guard let context = EVP_PKEY_CTX_new_from_name(nil, algorithm, nil) else {
            throw .openSSL(.openSSLFailure, "no \(algorithm) key generator")
        }
        defer { EVP_PKEY_CTX_free(context) }
        guard EVP_PKEY_keygen_init(context) == 1 else { throw .openSSL(.openSSLFailure, "key generation failed") }
        switch kind {
        case .ecP256, .ecP384:
            guard EVP_PKEY_CTX_set_group_name(context, kind == .ecP256 ? "P-256" : "P-384") == 1 else {
                throw .openSSL(.openSSLFailure, "could not select the curve")
            }
        case .rsa(let bits):
            guard bits >= 2048, bits <= 8192 else {
                throw CryptoError(.unsupportedKey, "RSA keys must have 2048 to 8192 bits, not \(bits)")
            }
            guard EVP_PKEY_CTX_set_rsa_keygen_bits(context, Int32(bits)) == 1 else {
                throw .openSSL(.openSSLFailure, "could not set the RSA key size")
            }
        }
        var key: OpaquePointer? = nil
        guard EVP_PKEY_generate(context, &key) == 1, let key else {
            throw .openSSL(.openSSLFailure, "key generation failed")
        }
        return try PrivateKey(taking: key)
    }

    /// Reads a key from PEM; `password` decrypts an "ENCRYPTED PRIVATE KEY" (PKCS#8).
    ///
    /// A wrong or missing password throws `wrongPassword`.
    public convenience init(pem: String, password: String? = nil) throws(CryptoError) {
        try checkPEM(pem, label: "PRIVATE KEY")
        let bio = try MemoryBIO(Array(pem.utf8))
        let key = try Password.with(password) { context in
            PEM_read_bio_PrivateKey(bio.pointer, nil, passwordCallback, context)
        }
        guard let key else {
            // CBC padding passes for about one wrong password in 256, and the failure then shows as
            // garbage ASN.1: an encrypted key that does not open is always a password problem.
            let encrypted = pem.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") || pem.contains("Proc-Type: 4,ENCRYPTED")
            throw Self.readFailure("PEM", encrypted: encrypted)
        }
        try self.init(taking: key)
    }

    /// Reads a key from DER: PKCS#8 (`PrivateKeyInfo`), or `EncryptedPrivateKeyInfo` when a `password`
    /// is given.
    public convenience init(der: [UInt8], password: String? = nil) throws(CryptoError) {
        try CryptoLimits.check(der.count, within: CryptoLimits.maximumDERBytes, "a DER private key")
        OpenSSLErrorQueue.clear()
        let key: OpaquePointer?
        if password != nil {
            let bio = try MemoryBIO(der)
            key = try Password.with(password) { context in
                d2i_PKCS8PrivateKey_bio(bio.pointer, nil, passwordCallback, context)
            }
        } else {
            key = der.withUnsafeBufferPointer { buffer in
                var cursor = buffer.baseAddress
                return d2i_AutoPrivateKey(nil, &cursor, buffer.count)
            }
        }
        guard let key else { throw Self.readFailure("DER", encrypted: password != nil && Self.isEncryptedPKCS8(der)) }
        try self.init(taking: key)
    }

    /// Whether `der` is a well-formed `EncryptedPrivateKeyInfo` (whatever it decrypts to).
    private static func isEncryptedPKCS8(_ der: [UInt8]) -> Bool {
        der.withUnsafeBufferPointer { buffer in
            var cursor = buffer.baseAddress
            guard let info = d2i_X509_SIG(nil, &cursor, buffer.count) else { return false }
            X509_SIG_free(info)
            return true
        }
    }

    /// The key as PKCS#8 PEM; with a `password`, encrypted ("ENCRYPTED PRIVATE KEY", AES-256-CBC with
    /// a PBKDF2-derived key), as `openssl pkcs8 -topk8 -v2 aes-256-cbc` writes it.
    public func pem(password: String? = nil) throws(CryptoError) -> String {
        guard let password else {
            return try encode("a private key") { PEM_write_bio_PKCS8PrivateKey($0, pointer, nil, nil, 0, nil, nil) }.string
        }
        let bytes = try Password.validated(password)
        return try encode("an encrypted private key") { bio in
            bytes.withUnsafeBufferPointer { buffer in
                PEM_write_bio_PKCS8PrivateKey(bio, pointer, EVP_aes_256_cbc(), buffer.baseAddress,
                                              Int32(buffer.count), nil, nil)
            }
        }.string
    }

    /// The key as unencrypted PKCS#8 DER (`PrivateKeyInfo`).
    public func der() throws(CryptoError) -> [UInt8] {
        try encode("a private key") { i2d_PKCS8PrivateKey_bio($0, pointer, nil, nil, 0, nil, nil) }.bytes
    }

    /// The public key as DER `SubjectPublicKeyInfo`.
    public func publicKeyDER() throws(CryptoError) -> [UInt8] {
        try encode("a public key") { i2d_PUBKEY_bio($0, pointer) }.bytes
    }

    /// The public key as PEM ("PUBLIC KEY").
    public func publicKeyPEM() throws(CryptoError) -> String {
        try encode("a public key") { PEM_write_bio_PUBKEY($0, pointer) }.string
    }

    /// Whether `certificate` carries this key's public half.
    public func matches(_ certificate: Certificate) -> Bool {
        guard let publicKey = X509_get0_pubkey(certificate.pointer) else { return false }
        return EVP_PKEY_eq(pointer, publicKey) == 1
    }

    private static func readFailure(_ form: String, encrypted: Bool) -> CryptoError {
        let entries = OpenSSLErrorQueue.drain()
        let texts = entries.map(\.text)
        let passwordProblem = encrypted || entries.contains {
            ($0.library == ERR_LIB_EVP && $0.reasonCode == EVP_R_BAD_DECRYPT)
                || ($0.library == ERR_LIB_PEM && ($0.reasonCode == PEM_R_BAD_DECRYPT || $0.reasonCode == PEM_R_BAD_PASSWORD_READ))
                || $0.text.contains("bad decrypt") || $0.text.contains("password")
        }
        if passwordProblem {
            return CryptoError(.wrongPassword, "the private key is encrypted and the password is wrong or missing",
                               openSSLReasons: texts)
        }
        return CryptoError(form == "PEM" ? .malformedPEM : .malformedDER,
                           "the \(form) does not hold a private key", openSSLReasons: texts)
    }

    static func kind(of key: OpaquePointer) throws(CryptoError) -> KeyKind {
        switch EVP_PKEY_get_base_id(key) {
        case EVP_PKEY_RSA:
            let bits = Int(EVP_PKEY_get_bits(key))
            guard bits >= 2048 else { throw CryptoError(.unsupportedKey, "RSA keys need at least 2048 bits, not \(bits)") }
            return .rsa(bits: bits)
        case EVP_PKEY_EC:
            var name = [CChar](repeating: 0, count: 64)
            var length = 0
            guard EVP_PKEY_get_group_name(key, &name, name.count, &length) == 1 else {
                throw .openSSL(.unsupportedKey, "the EC key names no curve")
            }
            let curve = String(decoding: name.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            switch curve {
            case "prime256v1", "P-256", "secp256r1": return .ecP256
            case "secp384r1", "P-384": return .ecP384
            default: throw CryptoError(.unsupportedKey, "the EC curve \(curve) is not accepted (P-256 or P-384)")
            }
        default:
            throw CryptoError(.unsupportedKey, "only EC P-256, EC P-384 and RSA keys are accepted")
        }
    }
}

/// Hands a password to OpenSSL through its callback, never through a prompt on the terminal.
enum Password {
    /// The password as bytes with a terminating NUL (which OpenSSL does not count).
    static func validated(_ password: String) throws(CryptoError) -> [CChar] {
        guard !password.utf8.contains(0), password.utf8.count <= 1024 else {
            throw CryptoError(.invalidParameter, "a password holds at most 1024 bytes and no NUL")
        }
        return Array(password.utf8CString.dropLast())
    }

    /// Calls `body` with the context for ``passwordCallback(_:_:_:_:)`` that answers `password` (or refuses when nil).
    static func with<R>(_ password: String?, _ body: (UnsafeMutableRawPointer?) -> R) throws(CryptoError) -> R {
        OpenSSLErrorQueue.clear()
        guard let password else { return body(nil) }
        var bytes = try validated(password) + [0]
        return bytes.withUnsafeMutableBufferPointer { body(UnsafeMutableRawPointer($0.baseAddress)) }
    }
}

/// OpenSSL's password callback: copies the NUL-terminated password in `context`, or refuses when there
/// is none (so OpenSSL never prompts on the terminal).
func passwordCallback(_ buffer: UnsafeMutablePointer<CChar>?, _ size: Int32, _ writing: Int32,
                      _ context: UnsafeMutableRawPointer?) -> Int32 {
    guard let buffer, let context else { return -1 }
    let password = context.assumingMemoryBound(to: CChar.self)
    let length = strlen(password)
    guard length <= Int(size) else { return -1 }
    memcpy(buffer, password, length)
    return Int32(length)
}
