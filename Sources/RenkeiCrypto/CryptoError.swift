internal import COpenSSL

/// A failure in RenkeiCrypto: a stable numbered code, a reason in plain words, and the reason strings
/// that OpenSSL put on its error queue (empty when the refusal is our own rule, not OpenSSL's).
///
/// Switch on ``code``; compare codes, not reasons, in code that decides something. Codes are never
/// renumbered, and new ones are added as new constants, so a `switch` with a `default` never breaks.
public struct CryptoError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, as a stable number.
    public var code: Code
    /// What went wrong, in plain words.
    public var reason: String
    /// OpenSSL's reason strings from its error queue, oldest first (for example "bad decrypt").
    public var openSSLReasons: [String]
    /// The source file that threw the error.
    public var file: String
    /// The line in ``file``.
    public var line: Int

    /// An error with `code` and `reason`, thrown at `file`:`line`.
    public init(_ code: Code, _ reason: String, openSSLReasons: [String] = [],
                file: String = #fileID, line: Int = #line) {
        self.code = code
        self.reason = reason
        self.openSSLReasons = openSSLReasons
        self.file = file
        self.line = line
    }

    public var description: String {
        var text = "RenkeiCrypto error \(code.rawValue) (\(code)): \(reason)"
        if !openSSLReasons.isEmpty { text += " [OpenSSL: \(openSSLReasons.joined(separator: "; "))]" }
        return text
    }

    /// An error with `code` and `reason` carrying everything on OpenSSL's error queue, which it empties.
    static func openSSL(_ code: Code, _ reason: String, file: String = #fileID, line: Int = #line) -> CryptoError {
        CryptoError(code, reason, openSSLReasons: OpenSSLErrorQueue.drain().map(\.text), file: file, line: line)
    }
}

extension CryptoError {
    /// A stable error number. New numbers are added as constants; none is ever reused or renumbered.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The number.
        public var rawValue: Int
        /// The code `rawValue`.
        public init(rawValue: Int) { self.rawValue = rawValue }

        // 1xx: OpenSSL itself and bad input.
        /// An OpenSSL call failed for a reason not listed below.
        public static let openSSLFailure = Code(rawValue: 100)
        /// An input is larger than its bound (PEM, DER, manifest, note, chain length).
        public static let inputTooLarge = Code(rawValue: 101)
        /// PEM text could not be decoded.
        public static let malformedPEM = Code(rawValue: 102)
        /// DER bytes could not be decoded.
        public static let malformedDER = Code(rawValue: 103)
        /// A 事業所番号 is not exactly 10 ASCII digits.
        public static let invalidOfficeNumber = Code(rawValue: 104)
        /// A certificate or CSR subject does not follow the subject rule (see Identity.md).
        public static let subjectNotRecognized = Code(rawValue: 105)
        /// The key type or size is not accepted (EC P-256, or RSA of 2048 bits and more).
        public static let unsupportedKey = Code(rawValue: 106)
        /// The password for an encrypted key or a PKCS#12 file is wrong or missing.
        public static let wrongPassword = Code(rawValue: 107)
        /// A PKCS#12 file could not be read, or holds no key and certificate.
        public static let malformedPKCS12 = Code(rawValue: 108)
        /// A CSR's self-signature does not verify: it was altered or not made with its key.
        public static let requestSignatureInvalid = Code(rawValue: 109)
        /// A CSR names another office or role than the one approved for issuing.
        public static let requestSubjectMismatch = Code(rawValue: 110)
        /// A parameter is out of range (validity period, host name, serial number, origin line).
        public static let invalidParameter = Code(rawValue: 111)

        // 2xx: certificate verification refusals.
        /// The certificate's notAfter is before the verification time.
        public static let certificateExpired = Code(rawValue: 200)
        /// The certificate's notBefore is after the verification time.
        public static let certificateNotYetValid = Code(rawValue: 201)
        /// The certificate is on its issuer's CRL.
        public static let certificateRevoked = Code(rawValue: 202)
        /// The chain does not lead to the platform CA or a trusted external issuer, or a signature in it
        /// is not by the issuer it names.
        public static let untrustedIssuer = Code(rawValue: 203)
        /// The certificate's key usage, extended key usage or role does not allow this use (a server
        /// certificate as an office identity, a certificate without digitalSignature).
        public static let wrongKeyUsage = Code(rawValue: 204)
        /// No current CRL from the certificate's issuer is known, so its revocation state is unknown.
        public static let revocationStatusUnknown = Code(rawValue: 205)
        /// The chain is empty or longer than the bound.
        public static let invalidChain = Code(rawValue: 206)
        /// Certificate verification failed for another reason (OpenSSL's reason says which).
        public static let certificateInvalid = Code(rawValue: 207)

        // 3xx: send-unit signatures.
        /// The manifest is not the one that was signed.
        public static let manifestMismatch = Code(rawValue: 300)
        /// The signature bytes do not verify with the signer's key.
        public static let signatureInvalid = Code(rawValue: 301)
        /// The signature is not a detached CMS SignedData with exactly one signer and its certificate.
        public static let signatureMalformed = Code(rawValue: 302)
        /// The signature is valid but its signer is not the sending office (another office, or an
        /// operator or auditor certificate).
        public static let signerNotSender = Code(rawValue: 303)
        /// The signature's digest gives less than 112 bits of security (SHA-1, MD5).
        public static let weakDigest = Code(rawValue: 304)
        /// The signature lacks a signed attribute the platform requires (content type, message digest,
        /// signing time).
        public static let signedAttributesMissing = Code(rawValue: 305)
        /// The signer's certificate is not shaped as an office certificate: not X.509 v3, or without the key
        /// usage (digitalSignature) and extended key usage extensions, or with a key the platform does not
        /// issue.
        public static let signerProfile = Code(rawValue: 306)

        // 4xx: checkpoints.
        /// A checkpoint note does not follow the format (see Checkpoint).
        public static let checkpointMalformed = Code(rawValue: 400)
        /// The note has no signature line by the given key (a wrong key, or a wrong signer name).
        public static let checkpointSignerUnknown = Code(rawValue: 401)
        /// A signature line by the key is present but does not verify over the note body.
        public static let checkpointSignatureInvalid = Code(rawValue: 402)

        public var description: String {
            Self.names[rawValue] ?? "code \(rawValue)"
        }

        private static let names: [Int: String] = [
            100: "openSSLFailure", 101: "inputTooLarge", 102: "malformedPEM", 103: "malformedDER",
            104: "invalidOfficeNumber", 105: "subjectNotRecognized", 106: "unsupportedKey",
            107: "wrongPassword", 108: "malformedPKCS12", 109: "requestSignatureInvalid",
            110: "requestSubjectMismatch", 111: "invalidParameter",
            200: "certificateExpired", 201: "certificateNotYetValid", 202: "certificateRevoked",
            203: "untrustedIssuer", 204: "wrongKeyUsage", 205: "revocationStatusUnknown",
            206: "invalidChain", 207: "certificateInvalid",
            300: "manifestMismatch", 301: "signatureInvalid", 302: "signatureMalformed", 303: "signerNotSender",
            304: "weakDigest", 305: "signedAttributesMissing", 306: "signerProfile",
            400: "checkpointMalformed", 401: "checkpointSignerUnknown", 402: "checkpointSignatureInvalid",
        ]
    }
}

/// OpenSSL's per-thread error queue.
enum OpenSSLErrorQueue {
    /// One entry of the queue.
    struct Entry {
        var code: UInt
        var text: String
        var reasonCode: Int32 { ERR_GET_REASON(code) }
        var library: Int32 { ERR_GET_LIB(code) }
    }

    /// Removes and returns every entry on this thread's queue, oldest first.
    static func drain() -> [Entry] {
        var entries: [Entry] = []
        while true {
            var data: UnsafePointer<CChar>? = nil
            var flags: Int32 = 0
            let code = ERR_get_error_all(nil, nil, nil, &data, &flags)
            if code == 0 { break }
            var text = ERR_reason_error_string(code).map { String(cString: $0) } ?? "error \(code)"
            if let data, flags & ERR_TXT_STRING != 0, data.pointee != 0 {
                text += " (\(String(cString: data)))"
            }
            entries.append(Entry(code: code, text: text))
        }
        return entries
    }

    /// Empties the queue, so that a later failure reports only its own reasons.
    static func clear() { ERR_clear_error() }
}
