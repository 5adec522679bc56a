import Foundation

/// A checkpoint of the log's Merkle tree (RFC 9162): its size and root hash at a moment, signed by the
/// platform so an auditor can check an export offline with the platform's certificate alone.
///
/// The signed form is a plain-text note after C2SP's `tlog-checkpoint` and `signed-note`:
/// ```
/// renkei.example/log            ← origin: names the log
/// 1234                          ← tree size, decimal
/// 3q2+7w...base64...=           ← root hash, standard base64 of 32 bytes
/// timestamp 2026-11-25T12:00:00Z ← extension line: when the platform signed it (UTC, whole seconds)
///                               ← blank line
/// — renkei.example/log base64(key ID ‖ signature)
/// ```
/// The note body is every line up to the blank line, each ending in a newline. The signature is ECDSA
/// P-256 (DER) with SHA-256 over the body's UTF-8 bytes (signature type 0x02 of signed-note); the key ID
/// is the first 4 bytes of SHA-256 over the signer's DER SubjectPublicKeyInfo. So an auditor can also
/// check a note by hand: cut the body and the signature, and run `openssl dgst -sha256 -verify`.
public struct Checkpoint: Hashable, Sendable {
    /// The log's name: printable ASCII without spaces, 1 to 255 bytes.
    public let origin: String
    /// The number of leaves (records) in the tree.
    public let treeSize: UInt64
    /// The tree's root hash.
    public let rootHash: SHA256Digest
    /// When the checkpoint was made, to the whole second.
    public let timestamp: Date

    /// The largest signed note accepted.
    public static let maximumNoteBytes = 16 * 1024

    /// A checkpoint; throws `invalidParameter` for an origin that is empty, too long, or holds anything
    /// but printable ASCII without spaces. The time is truncated to the whole second.
    public init(origin: String, treeSize: UInt64, rootHash: SHA256Digest, timestamp: Date) throws(CryptoError) {
        guard (1...255).contains(origin.utf8.count), origin.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw CryptoError(.invalidParameter, "a checkpoint origin is 1 to 255 printable ASCII bytes without spaces")
        }
        self.origin = origin
        self.treeSize = treeSize
        self.rootHash = rootHash
        self.timestamp = Date(timeIntervalSince1970: timestamp.timeIntervalSince1970.rounded(.down))
    }

    /// The note body that is signed: origin, size, root hash and timestamp lines, each ending in "\n".
    public var body: String {
        "\(origin)\n\(treeSize)\n\(Data(rootHash.bytes).base64EncodedString())\ntimestamp \(Self.format(timestamp))\n"
    }

    /// The signed note: the body, a blank line, and one signature line by `key` under `keyName`.
    public func signedNote(key: PrivateKey, keyName: String) throws(CryptoError) -> String {
        try Self.checkKeyName(keyName)
        let signature = try key.signature(over: Array(body.utf8))
        let keyID = Self.keyID(publicKeyDER: try key.publicKeyDER())
        return body + "\n— \(keyName) \(Data(keyID + signature).base64EncodedString())\n"
    }

    /// The key ID a signature line starts with: SHA-256 of the DER public key, first 4 bytes.
    public static func keyID(publicKeyDER: [UInt8]) -> [UInt8] { Array(SHA256.hash(publicKeyDER).bytes.prefix(4)) }

    /// Reads a signed note and verifies the signature by `certificate`'s key under `keyName`.
    ///
    /// Throws `checkpointSignerUnknown` when no signature line has that name and key ID (a wrong key),
    /// `checkpointSignatureInvalid` when such a line does not verify (a changed body or signature), and
    /// `checkpointMalformed` when the note or its body breaks the format.
    public static func verify(note: String, certificate: Certificate, keyName: String) throws(CryptoError) -> Checkpoint {
        try CryptoLimits.check(note.utf8.count, within: maximumNoteBytes, "a checkpoint note")
        guard let split = note.range(of: "\n\n", options: .backwards) else {
            throw CryptoError(.checkpointMalformed, "the note has no blank line before its signatures")
        }
        let body = String(note[..<split.lowerBound]) + "\n"
        let lines = note[split.upperBound...].split(separator: "\n", omittingEmptySubsequences: false)
        guard note.hasSuffix("\n"), lines.count >= 2, lines.count <= 17, lines.last == "" else {
            throw CryptoError(.checkpointMalformed, "the note must end with 1 to 16 signature lines, each ending in a newline")
        }
        let keyID = keyID(publicKeyDER: try certificate.publicKeyDER())
        var found = false
        for line in lines.dropLast() {
            let parts = line.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 3, parts[0] == "—", let blob = Data(base64Encoded: String(parts[2])), blob.count > 4 else {
                throw CryptoError(.checkpointMalformed, "a signature line must read \"— <name> <base64>\"")
            }
            guard parts[1] == keyName, Array(blob.prefix(4)) == keyID else { continue }
            found = true
            guard certificate.isValidSignature(Array(blob.dropFirst(4)), over: Array(body.utf8)) else {
                throw CryptoError(.checkpointSignatureInvalid, "the signature by \(keyName) does not verify over the checkpoint")
            }
        }
        guard found else {
            throw CryptoError(.checkpointSignerUnknown, "the note has no signature by \(keyName) with this certificate's key")
        }
        return try parse(body: body)
    }

    /// Reads a checkpoint body (without checking any signature).
    static func parse(body: String) throws(CryptoError) -> Checkpoint {
        let lines = body.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count == 5, lines[4].isEmpty,
              let size = UInt64(lines[1]), String(size) == lines[1],
              let hashBytes = Data(base64Encoded: String(lines[2])), let hash = SHA256Digest(bytes: hashBytes),
              lines[3].hasPrefix("timestamp "), let time = parse(time: lines[3].dropFirst("timestamp ".count)) else {
            throw CryptoError(.checkpointMalformed, "the body must be origin, tree size, base64 root hash and timestamp lines")
        }
        do {
            return try Checkpoint(origin: String(lines[0]), treeSize: size, rootHash: hash, timestamp: time)
        } catch {
            throw CryptoError(.checkpointMalformed, "the origin line is not a valid origin")
        }
    }

    private static func checkKeyName(_ name: String) throws(CryptoError) {
        guard (1...255).contains(name.utf8.count), name.utf8.allSatisfy({ (0x21...0x7E).contains($0) }), !name.contains("+") else {
            throw CryptoError(.invalidParameter, "a key name is 1 to 255 printable ASCII bytes without spaces or '+'")
        }
    }

    private static func format(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                      parts.tm_hour, parts.tm_min, parts.tm_sec)
    }

    private static func parse(time text: Substring) -> Date? {
        let numbers = text.split(whereSeparator: { "-T:Z".contains($0) }).compactMap { Int32($0) }
        guard text.count == 20, text.hasSuffix("Z"), numbers.count == 6 else { return nil }
        var parts = tm()
        (parts.tm_year, parts.tm_mon, parts.tm_mday) = (numbers[0] - 1900, numbers[1] - 1, numbers[2])
        (parts.tm_hour, parts.tm_min, parts.tm_sec) = (numbers[3], numbers[4], numbers[5])
        let date = Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
        return format(date) == text ? date : nil
    }
}
