internal import COpenSSL
import Foundation

/// An X.509 certificate held by libcrypto.
///
/// Immutable once made, so `Sendable`: OpenSSL 3 caches a certificate's decoded extensions under its
/// own lock, and nothing here changes the certificate.
public final class Certificate: @unchecked Sendable, Equatable, CustomStringConvertible {
    let pointer: OpaquePointer

    /// Takes ownership of `pointer`.
    init(taking pointer: OpaquePointer) { self.pointer = pointer }

    /// Adds a reference to `pointer` (borrowed from a stack or a structure) and owns that reference.
    init(retaining pointer: OpaquePointer) {
        X509_up_ref(pointer)
        self.pointer = pointer
    }

    deinit { X509_free(pointer) }

    /// Reads one certificate from DER.
    public convenience init(der: [UInt8]) throws(CryptoError) {
        self.init(taking: try decodeDER(der, limit: CryptoLimits.maximumDERBytes, "a certificate") { d2i_X509(nil, &$0, $1) })
    }

    /// Reads the first certificate in PEM text.
    public convenience init(pem: String) throws(CryptoError) {
        guard let first = try Self.chain(pem: pem).first else {
            throw CryptoError(.malformedPEM, "the PEM text holds no certificate")
        }
        self.init(retaining: first.pointer)
    }

    /// Reads every certificate in PEM text, in order (a chain file, leaf first).
    public static func chain(pem: String) throws(CryptoError) -> [Certificate] {
        try checkPEM(pem, label: "CERTIFICATE")
        let bio = try MemoryBIO(Array(pem.utf8))
        OpenSSLErrorQueue.clear()
        var certificates: [Certificate] = []
        while let certificate = PEM_read_bio_X509(bio.pointer, nil, nil, nil) {
            certificates.append(Certificate(taking: certificate))
            guard certificates.count <= CryptoLimits.maximumChainLength * 4 else {
                throw CryptoError(.inputTooLarge, "the PEM text holds too many certificates")
            }
        }
        // Reading stops with "no start line" at the end of the text; anything else is a broken block.
        let trailing = OpenSSLErrorQueue.drain()
        if certificates.isEmpty || trailing.contains(where: { $0.reasonCode != PEM_R_NO_START_LINE }) {
            throw CryptoError(.malformedPEM, "the PEM text holds a broken certificate", openSSLReasons: trailing.map(\.text))
        }
        return certificates
    }

    /// The certificate as DER.
    public var der: [UInt8] {
        encodeInMemory("a certificate") { i2d_X509_bio($0, pointer) }.bytes
    }

    /// The certificate as PEM ("CERTIFICATE").
    public var pem: String {
        encodeInMemory("a certificate") { PEM_write_bio_X509($0, pointer) }.string
    }

    /// The serial number.
    public var serialNumber: CertificateSerialNumber {
        CertificateSerialNumber(asn1: X509_get0_serialNumber(pointer))
    }

    /// The start of the validity period.
    public var notBefore: Date { ASN1Time.date(X509_get0_notBefore(pointer)) }

    /// The end of the validity period.
    public var notAfter: Date { ASN1Time.date(X509_get0_notAfter(pointer)) }

    /// The subject in OpenSSL's one-line RFC 2253 form, e.g. `OU=office,CN=1310000001`.
    public var subject: String { DistinguishedName.text(X509_get_subject_name(pointer)) }

    /// The issuer in RFC 2253 form.
    public var issuer: String { DistinguishedName.text(X509_get_issuer_name(pointer)) }

    /// The subject's common name (CN), when it has exactly one.
    public var commonName: String? { DistinguishedName.single(NID_commonName, in: X509_get_subject_name(pointer)) }

    /// Whether the certificate is a CA (basicConstraints CA:TRUE).
    public var isCertificateAuthority: Bool { X509_check_ca(pointer) != 0 }

    /// The key usages the certificate allows (all of them when it has no keyUsage extension).
    public var keyUsage: KeyUsage { KeyUsage(rawValue: X509_get_key_usage(pointer)) }

    /// The office identity the subject names under the subject rule (Identity.md), without verifying
    /// the chain: use ``TrustStore`` for a verified identity.
    public func claimedIdentity() throws(CryptoError) -> OfficeIdentity {
        try OfficeIdentity(subject: X509_get_subject_name(pointer))
    }

    /// Whether `issuer`'s key signed this certificate (the signature alone: no chain, time or purpose check).
    public func isSigned(by issuer: Certificate) -> Bool {
        guard let key = X509_get0_pubkey(issuer.pointer) else { return false }
        defer { OpenSSLErrorQueue.clear() }
        return X509_verify(pointer, key) == 1
    }

    public static func == (lhs: Certificate, rhs: Certificate) -> Bool { X509_cmp(lhs.pointer, rhs.pointer) == 0 }

    public var description: String { "Certificate(\(subject), serial \(serialNumber), issuer \(issuer))" }

    /// Whether `issuerCandidate`'s subject is this certificate's issuer name.
    func isIssued(byNameOf issuerCandidate: Certificate) -> Bool {
        X509_NAME_cmp(X509_get_issuer_name(pointer), X509_get_subject_name(issuerCandidate.pointer)) == 0
    }
}

/// The key usages of a certificate's keyUsage extension (RFC 5280 4.2.1.3).
public struct KeyUsage: OptionSet, Hashable, Sendable {
    /// The bits, as OpenSSL's `KU_` constants.
    public var rawValue: UInt32
    /// Usages from OpenSSL's `KU_` bits.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// digitalSignature: signing with the key (TLS client authentication, CMS, checkpoints).
    public static let digitalSignature = KeyUsage(rawValue: UInt32(KU_DIGITAL_SIGNATURE))
    /// nonRepudiation (contentCommitment).
    public static let nonRepudiation = KeyUsage(rawValue: UInt32(KU_NON_REPUDIATION))
    /// keyEncipherment (RSA key transport in older TLS).
    public static let keyEncipherment = KeyUsage(rawValue: UInt32(KU_KEY_ENCIPHERMENT))
    /// keyCertSign: signing certificates (CAs only).
    public static let keyCertSign = KeyUsage(rawValue: UInt32(KU_KEY_CERT_SIGN))
    /// cRLSign: signing CRLs (CAs only).
    public static let cRLSign = KeyUsage(rawValue: UInt32(KU_CRL_SIGN))
}

/// A certificate serial number, shown and parsed as upper-case hexadecimal without leading zeros.
public struct CertificateSerialNumber: Hashable, Sendable, CustomStringConvertible {
    /// The number in upper-case hexadecimal.
    public let hex: String

    /// A serial number from hexadecimal digits (1 to 40, either case); `nil` otherwise.
    public init?(hex: String) {
        let digits = hex.uppercased().drop { $0 == "0" }
        guard !hex.isEmpty, hex.utf8.count <= 40, hex.allSatisfy({ $0.isASCII && $0.isHexDigit }) else { return nil }
        self.hex = digits.isEmpty ? "0" : String(digits)
    }

    init(asn1: UnsafePointer<ASN1_INTEGER>?) {
        var text = "0"
        if let number = ASN1_INTEGER_to_BN(asn1, nil) {
            if let hex = BN_bn2hex(number) {
                text = String(cString: hex)
                renkei_OPENSSL_free(hex)
            }
            BN_free(number)
        }
        // A negative or over-long serial (possible in an external issuer's certificate or CRL) is kept
        // as OpenSSL prints it rather than refused here; it can never equal a serial this CA issues.
        self = Self(hex: text) ?? Self(unchecked: text)
    }

    private init(unchecked text: String) { hex = text }

    /// Writes the number into `target` (owned by a certificate or a CRL entry).
    func write(to target: UnsafeMutablePointer<ASN1_INTEGER>) throws(CryptoError) {
        var number: OpaquePointer? = nil
        guard BN_hex2bn(&number, hex) > 0, let number else { throw .openSSL(.invalidParameter, "bad serial number \(hex)") }
        defer { BN_free(number) }
        guard BN_to_ASN1_INTEGER(number, target) != nil else { throw .openSSL(.openSSLFailure, "could not set the serial number") }
    }

    /// A random positive 127-bit serial number, as RFC 5280 and the CA/Browser rules advise.
    static func random() throws(CryptoError) -> CertificateSerialNumber {
        var bytes = [UInt8](repeating: 0, count: 16)
        guard RAND_bytes(&bytes, Int32(bytes.count)) == 1 else { throw .openSSL(.openSSLFailure, "no random bytes") }
        bytes[0] = (bytes[0] & 0x7F) | 0x40
        return CertificateSerialNumber(hex: bytes.map { String(format: "%02X", $0) }.joined())!
    }

    public var description: String { hex }
}
