public import RenkeiModel

/// An error of the log itself (storage and compression errors pass through as `LMDBError` and `ZstdError`).
public struct LogError: Error, Hashable, CustomStringConvertible, Sendable {
    /// What went wrong, as a stable code.
    public struct Code: RawRepresentable, Hashable, Sendable {
        public var rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }

        /// The log was closed; nothing more can be written.
        public static let closed = Code(rawValue: 1)
        /// A body or file is larger than the configured bound.
        public static let tooLarge = Code(rawValue: 2)
        /// A stored record, blob or tree node does not have the expected form.
        public static let corrupt = Code(rawValue: 3)
        /// A dictionary id that the log does not hold.
        public static let unknownDictionary = Code(rawValue: 4)
        /// The data folder was written by a newer, unknown storage format.
        public static let unsupportedFormat = Code(rawValue: 5)
        /// A sequence number or tree size beyond the log's end.
        public static let outOfRange = Code(rawValue: 6)
        /// Another process (or another `EventLog` in this one) has the data folder open for writing.
        public static let inUse = Code(rawValue: 7)
    }

    /// What went wrong.
    public let code: Code
    /// Details: sizes, sequence numbers, hashes.
    public let detail: String
    /// The record concerned, where there is one.
    public let sequence: SequenceNumber?

    /// An error with `code`.
    public init(_ code: Code, _ detail: String, sequence: SequenceNumber? = nil) {
        self.code = code
        self.detail = detail
        self.sequence = sequence
    }

    public var description: String {
        let what: String = switch code {
        case .closed: "the event log is closed"
        case .tooLarge: "too large"
        case .corrupt: "corrupt log data"
        case .unknownDictionary: "unknown compression dictionary"
        case .unsupportedFormat: "unsupported storage format"
        case .outOfRange: "out of range"
        case .inUse: "the data folder is in use"
        default: "event log error \(code.rawValue)"
        }
        return "\(what)\(sequence.map { " at sequence \($0)" } ?? ""): \(detail)"
    }
}
