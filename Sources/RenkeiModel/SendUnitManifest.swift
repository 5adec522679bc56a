/// The canonical manifest of a send unit: what an office signs (電子証明書を付与) and what the recipient
/// and an auditor verify later — the sender, the recipient, the unit's 14-digit 連番, and each file's
/// kind, name, size and SHA-256.
///
/// Canonical form (UTF-8, every line ending in a single LF, no other whitespace than single spaces):
/// ```
/// renkei-send-unit-manifest/v1
/// sender 1310000001
/// recipient 1310000002
/// unit 20261125000001
/// file UPPLAN 1234 <64 lower-case hex digits> <name>
/// ```
/// with one `file` line per file, sorted by name (byte order), names unique. The same manifest always
/// has the same bytes, and ``init(canonicalBytes:)`` accepts only bytes in exactly this form.
public struct SendUnitManifest: Hashable, Sendable {
    /// One file of the send unit.
    public struct File: Hashable, Sendable {
        /// The file's kind, e.g. `UPPLAN` (第6表) or `UPKIHON_SUB1`: 1 to 16 upper-case ASCII letters, digits and
        /// underscores, neither starting nor ending with an underscore.
        public let kind: String
        /// The file name: 1 to 128 bytes of printable ASCII without spaces or slashes.
        public let name: String
        /// The size in bytes.
        public let size: UInt64
        /// SHA-256 of the file's bytes, 64 lower-case hexadecimal digits.
        public let sha256: String

        /// A file entry; throws ``SendUnitManifestError`` when a field breaks its rule.
        public init(kind: String, name: String, size: UInt64, sha256: String) throws(SendUnitManifestError) {
            guard Self.isKind(kind) else {
                throw SendUnitManifestError(.invalidKind, "a file kind is 1 to 16 upper-case ASCII letters, digits and inner underscores: \(kind.prefix(20))")
            }
            guard (1...128).contains(name.utf8.count), name.utf8.allSatisfy({ (0x21...0x7E).contains($0) && $0 != 0x2F && $0 != 0x5C }) else {
                throw SendUnitManifestError(.invalidFileName, "a file name is 1 to 128 printable ASCII bytes without spaces or slashes")
            }
            guard size <= SendUnitManifest.maximumFileBytes else {
                throw SendUnitManifestError(.fileTooLarge, "a file has at most \(SendUnitManifest.maximumFileBytes) bytes, not \(size)")
            }
            guard sha256.utf8.count == 64, sha256.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else {
                throw SendUnitManifestError(.invalidDigest, "a SHA-256 is 64 lower-case hexadecimal digits")
            }
            (self.kind, self.name, self.size, self.sha256) = (kind, name, size, sha256)
        }

        /// Whether `kind` is 1 to 16 bytes of `A`–`Z`, `0`–`9` and `_`, with no `_` first or last.
        static func isKind(_ kind: String) -> Bool {
            let bytes = kind.utf8
            guard (1...16).contains(bytes.count), bytes.first != 0x5F, bytes.last != 0x5F else { return false }
            return bytes.allSatisfy { (0x41...0x5A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F }
        }
    }

    /// The sending office's 事業所番号 (10 digits).
    public let sender: String
    /// The receiving office's 事業所番号 (10 digits).
    public let recipient: String
    /// The send unit's 連番: 14 digits shared by its files.
    public let unitNumber: String
    /// The files, sorted by name.
    public let files: [File]

    /// The most files in one send unit.
    public static let maximumFiles = 64
    /// The largest file in a send unit.
    public static let maximumFileBytes: UInt64 = 256 * 1024 * 1024
    /// The first line of the canonical form.
    public static let header = "renkei-send-unit-manifest/v1"

    /// A manifest; files are sorted by name. Throws ``SendUnitManifestError`` for a bad office number or
    /// 連番, no files or too many, or two files with one name.
    public init(sender: String, recipient: String, unitNumber: String, files: [File]) throws(SendUnitManifestError) {
        try Self.checkDigits(sender, count: 10, code: .invalidOfficeNumber, what: "sender 事業所番号")
        try Self.checkDigits(recipient, count: 10, code: .invalidOfficeNumber, what: "recipient 事業所番号")
        try Self.checkDigits(unitNumber, count: 14, code: .invalidUnitNumber, what: "連番")
        guard (1...Self.maximumFiles).contains(files.count) else {
            throw SendUnitManifestError(.fileCount, "a send unit has 1 to \(Self.maximumFiles) files, not \(files.count)")
        }
        let sorted = files.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.name == b.name {
            throw SendUnitManifestError(.duplicateFileName, "two files are named \(a.name)")
        }
        (self.sender, self.recipient, self.unitNumber, self.files) = (sender, recipient, unitNumber, sorted)
    }

    /// The canonical bytes, which are signed.
    public var canonicalBytes: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(96 + files.count * 160)
        func line(_ parts: String...) {
            for (index, part) in parts.enumerated() {
                if index > 0 { bytes.append(0x20) }
                bytes.append(contentsOf: part.utf8)
            }
            bytes.append(0x0A)
        }
        line(Self.header)
        line("sender", sender)
        line("recipient", recipient)
        line("unit", unitNumber)
        for file in files { line("file", file.kind, String(file.size), file.sha256, file.name) }
        return bytes
    }

    /// Reads canonical bytes; throws ``SendUnitManifestError`` (`notCanonical`) unless they are exactly
    /// the canonical form of a valid manifest. (It works on the bytes, line by line: the server reads one
    /// manifest per upload.)
    public init(canonicalBytes bytes: [UInt8]) throws(SendUnitManifestError) {
        guard bytes.count <= 64 * 1024 else { throw SendUnitManifestError(.notCanonical, "a manifest has at most 64 KiB") }
        let lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
        func text(_ bytes: ArraySlice<UInt8>) -> String { String(decoding: bytes, as: UTF8.self) }
        func field(_ line: ArraySlice<UInt8>, _ name: String) -> String? {
            let prefix = Array(name.utf8) + [0x20]
            guard line.starts(with: prefix) else { return nil }
            return text(line.dropFirst(prefix.count))
        }
        guard lines.count >= 6, lines[0].elementsEqual(Self.header.utf8), lines.last?.isEmpty == true,
              let sender = field(lines[1], "sender"), let recipient = field(lines[2], "recipient"), let unit = field(lines[3], "unit") else {
            throw SendUnitManifestError(.notCanonical, "the manifest does not start with the \(Self.header) header lines")
        }
        var files: [File] = []
        for line in lines[4 ..< (lines.count - 1)] {
            let parts = line.split(separator: 0x20, omittingEmptySubsequences: false)
            guard parts.count == 5, parts[0].elementsEqual("file".utf8), let size = UInt64(text(parts[2])) else {
                throw SendUnitManifestError(.notCanonical, "a file line must read \"file <kind> <size> <sha256> <name>\"")
            }
            files.append(try File(kind: text(parts[1]), name: text(parts[4]), size: size, sha256: text(parts[3])))
        }
        try self.init(sender: sender, recipient: recipient, unitNumber: unit, files: files)
        guard canonicalBytes == bytes else {
            throw SendUnitManifestError(.notCanonical, "the manifest is valid but not in canonical form (order, numbers)")
        }
    }

    private static func checkDigits(_ text: String, count: Int, code: SendUnitManifestError.Code, what: String) throws(SendUnitManifestError) {
        guard text.utf8.count == count, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
            throw SendUnitManifestError(code, "the \(what) must be exactly \(count) ASCII digits: \"\(text.prefix(20))\"")
        }
    }
}

/// Why a send-unit manifest was refused: a stable code and a reason.
public struct SendUnitManifestError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A stable number; new ones are added as constants, none is reused.
    public struct Code: RawRepresentable, Hashable, Sendable {
        /// The number.
        public var rawValue: Int
        /// The code `rawValue`.
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// A 事業所番号 is not 10 digits.
        public static let invalidOfficeNumber = Code(rawValue: 1)
        /// The 連番 is not 14 digits.
        public static let invalidUnitNumber = Code(rawValue: 2)
        /// A file kind breaks its rule.
        public static let invalidKind = Code(rawValue: 3)
        /// A file name breaks its rule.
        public static let invalidFileName = Code(rawValue: 4)
        /// A SHA-256 is not 64 lower-case hex digits.
        public static let invalidDigest = Code(rawValue: 5)
        /// A file is larger than the bound.
        public static let fileTooLarge = Code(rawValue: 6)
        /// No files, or more than the bound.
        public static let fileCount = Code(rawValue: 7)
        /// Two files share a name.
        public static let duplicateFileName = Code(rawValue: 8)
        /// Bytes that are not exactly a canonical manifest.
        public static let notCanonical = Code(rawValue: 9)
    }

    /// What went wrong, as a stable number.
    public var code: Code
    /// What went wrong, in plain words.
    public var reason: String

    /// An error with `code` and `reason`.
    public init(_ code: Code, _ reason: String) { (self.code, self.reason) = (code, reason) }

    public var description: String { "send-unit manifest error \(code.rawValue): \(reason)" }
}
