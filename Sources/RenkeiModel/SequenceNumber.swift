/// The position of an event in the log: dense, starting at 1, never reused.
///
/// Sequence number 0 means "before the first event" (a cursor that has seen nothing).
public struct SequenceNumber: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The number.
    public var rawValue: UInt64

    /// The sequence number `rawValue`.
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// The sequence number `value`.
    public init(_ value: UInt64) { self.rawValue = value }

    /// The position before the first event.
    public static let zero = SequenceNumber(0)
    /// The first event.
    public static let first = SequenceNumber(1)

    /// The following position.
    public var next: SequenceNumber { SequenceNumber(rawValue + 1) }

    public static func < (lhs: SequenceNumber, rhs: SequenceNumber) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { String(rawValue) }
}

/// What an event is (upload, delivery, acknowledgement, licence, certificate, …), as a stable number in
/// the record header. The domain names its kinds as static constants; a new number never breaks a `switch`.
public struct EventKind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The number stored in the record header.
    public var rawValue: UInt16
    /// The kind `rawValue`.
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public var description: String { "kind \(rawValue)" }
}
