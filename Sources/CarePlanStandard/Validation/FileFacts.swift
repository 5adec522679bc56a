/// What one file's check leaves behind for the send-unit checks: its name and the keys of its records.
/// Small whatever the file's size: one entry per distinct key, not per record.
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

    /// Facts for a file with nothing read yet.
    public init(label: String, name: FileName?, kind: FileKind?) {
        self.label = label
        self.name = name
        self.kind = kind
    }

    /// A key as shown to a user: 保険者番号/被保険者番号/日付.
    static func displayKey(_ key: String) -> String {
        key.split(separator: "\u{1F}", omittingEmptySubsequences: false).joined(separator: "/")
    }
}
