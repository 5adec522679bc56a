/// What one file's check leaves behind for the send-unit checks: its name and the keys of its records.
/// Small whatever the file's size: one entry per distinct key, not per record, and at most the checker's
/// key limit of them (``StandardChecker/maxKeysPerFile``).
public struct FileFacts: Sendable {
    /// The label findings use (the file name).
    public let label: String
    /// The parsed name, when it parsed.
    public let name: FileName?
    /// The kind, from the name (or its prefix when the rest of the name is wrong).
    public let kind: FileKind?
    /// The number of records read.
    public internal(set) var recordCount = 0
    /// The file's own record keys (as a parent: 第1表, 第6表, 基本情報, 予防計画) → first line.
    public internal(set) var ownKeys: [String: Int] = [:]
    /// For each parent kind, the keys this file's records point to → first line.
    public internal(set) var parentKeys: [FileKind: [String: Int]] = [:]
    /// The number of keys kept, own and parent (at most the checker's key limit).
    public internal(set) var keyCount = 0
    /// The first line with a new key that was not kept because the file reached its key limit (LIMIT-5), or
    /// `nil` when every key was kept. When set, the key checks skip what they cannot know: a child key missing
    /// from this file (KEY-1) and a user missing from this file (KEY-2) are not reported.
    public internal(set) var keyLimitLine: Int?

    /// Whether every key of the file was kept (no LIMIT-5).
    public var keysAreComplete: Bool { keyLimitLine == nil }

    /// Facts for a file with nothing read yet.
    public init(label: String, name: FileName?, kind: FileKind?) {
        self.label = label
        self.name = name
        self.kind = kind
    }

    /// Keeps `key` (first seen at `line`) as the file's own key, or as a key pointing to `parent`, unless the
    /// file already keeps `limit` keys; then only the first such line is remembered.
    mutating func keep(_ key: String, parent: FileKind?, line: Int, limit: Int) {
        if let parent {
            guard parentKeys[parent]?[key] == nil else { return }
            guard keyCount < limit else { keyLimitLine = keyLimitLine ?? line; return }
            parentKeys[parent, default: [:]][key] = line
        } else {
            guard ownKeys[key] == nil else { return }
            guard keyCount < limit else { keyLimitLine = keyLimitLine ?? line; return }
            ownKeys[key] = line
        }
        keyCount += 1
    }

    /// A key as shown to a user: 保険者番号/被保険者番号/日付.
    static func displayKey(_ key: String) -> String {
        key.split(separator: "\u{1F}", omittingEmptySubsequences: false).joined(separator: "/")
    }
}
