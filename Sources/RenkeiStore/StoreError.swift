public import RenkeiModel

/// An error of a store, the same for every engine: no engine's own error (LMDB's, PostgreSQL's) reaches
/// the domain. Codes are 500–599, unique across Renkei's error types (cryptography 100–402, zstd 600–699,
/// Merkle 700–799), and never renumbered.
public struct StoreError: Error, Hashable, CustomStringConvertible, Sendable {
    /// What went wrong, as a stable code.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }

        /// The store was closed; nothing more can be read or written.
        public static let closed = Code(rawValue: 501)
        /// A body, file, value or write is larger than the store's bound.
        public static let tooLarge = Code(rawValue: 502)
        /// Stored data does not have the expected form (a record, blob, tree node or identity).
        public static let corrupt = Code(rawValue: 503)
        /// A dictionary id that the store does not hold.
        public static let unknownDictionary = Code(rawValue: 504)
        /// The data was written in a storage format this program does not read.
        public static let unsupportedFormat = Code(rawValue: 505)
        /// A sequence number or tree size beyond the log's end.
        public static let outOfRange = Code(rawValue: 506)
        /// Another process has the store open for writing.
        public static let inUse = Code(rawValue: 507)
        /// The map or the disk is full; nothing of the write was stored, and the store goes on once there is room.
        public static let storageFull = Code(rawValue: 508)
        /// A precondition of the write did not hold (a key that had to be absent was present, a value had
        /// changed): nothing of the write was stored. Decide again against a new snapshot.
        public static let conditionFailed = Code(rawValue: 509)
        /// More writes are waiting than the store accepts; try again later.
        public static let overloaded = Code(rawValue: 510)
        /// An argument is out of bounds (a key's length, a key space's name, an actor's name).
        public static let invalidArgument = Code(rawValue: 511)
        /// A key space that was not declared when the store was opened.
        public static let unknownKeySpace = Code(rawValue: 512)
        /// The store is open read-only.
        public static let readOnly = Code(rawValue: 513)
        /// The store's files are missing or shorter than the store recorded when it was created or last
        /// used: refused rather than opened as a new, empty or older store.
        public static let missingData = Code(rawValue: 514)
        /// The disk or the engine failed in a way not named above.
        public static let ioFailure = Code(rawValue: 515)
        /// The engine's server cannot be reached (a database connection lost or refused): nothing was
        /// stored by the call that got it, or — when the connection broke during a commit — the commit's
        /// outcome is unknown; the caller may try again (the domain's idempotency keys make that safe).
        public static let unavailable = Code(rawValue: 516)

        public var description: String { String(rawValue) }
    }

    /// What went wrong.
    public let code: Code
    /// Details: sizes, sequence numbers, hashes, paths.
    public let detail: String
    /// The record concerned, where there is one.
    public let sequence: SequenceNumber?

    /// An error with `code`.
    public init(_ code: Code, _ detail: String, sequence: SequenceNumber? = nil) {
        self.code = code
        self.detail = detail
        self.sequence = sequence
    }

    /// The error in Japanese and English, for people.
    public var reason: String {
        switch code {
        case .closed: "ストアは閉じられています / the store is closed"
        case .tooLarge: "大きすぎます / too large"
        case .corrupt: "保存データが壊れています / stored data is corrupt"
        case .unknownDictionary: "圧縮辞書がありません / unknown compression dictionary"
        case .unsupportedFormat: "対応していない保存形式です / unsupported storage format"
        case .outOfRange: "範囲外です / out of range"
        case .inUse: "データフォルダは使用中です / the data folder is in use"
        case .storageFull: "保存領域が一杯です / storage is full"
        case .conditionFailed: "前提条件が成り立ちません / a precondition of the write did not hold"
        case .overloaded: "書き込みが混み合っています / too many writes are waiting"
        case .invalidArgument: "引数が不正です / invalid argument"
        case .unknownKeySpace: "宣言されていないキー空間です / undeclared key space"
        case .readOnly: "読み取り専用です / the store is read-only"
        case .missingData: "保存データが欠けています / the store's data is missing"
        case .ioFailure: "入出力エラーです / input/output failure"
        case .unavailable: "データベースに接続できません。再試行してください / the database cannot be reached; try again"
        default: "ストアのエラー / store error"
        }
    }

    public var description: String {
        "[\(code.rawValue)] \(reason)\(sequence.map { " (sequence \($0))" } ?? ""): \(detail)"
    }
}
