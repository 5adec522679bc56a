import Synchronization
public import RenkeiModel

/// Who caused an event: an office (by its 事業所番号), a platform operator, an auditor, or the platform
/// itself (renewals, expiries, retention).
public enum Actor: Hashable, Sendable, CustomStringConvertible {
    /// A care-management or care service office.
    case office(OfficeNumber)
    /// A platform operator, by the name in their certificate.
    case `operator`(String)
    /// An auditor, by the name in their certificate.
    case auditor(String)
    /// The platform itself.
    case system

    /// The longest operator or auditor name, in UTF-8 bytes.
    public static let maximumNameLength = 64

    public var description: String {
        switch self {
        case .office(let number): "office \(number)"
        case .operator(let name): "operator \(name)"
        case .auditor(let name): "auditor \(name)"
        case .system: "system"
        }
    }
}

/// A request's identity, chosen by whoever made it (16 bytes), so that an event can be traced to the call
/// that caused it.
public struct RequestID: Hashable, Sendable, CustomStringConvertible {
    // Two words rather than an array: decoding an envelope allocates nothing for its request id.
    private let high: UInt64
    private let low: UInt64

    /// The request id whose 16 bytes are `high` then `low`, big-endian.
    @usableFromInline
    init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// A request id of exactly 16 bytes, or nil.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        var high: UInt64 = 0, low: UInt64 = 0
        for (index, byte) in bytes.enumerated() {
            if index < 8 { high = high << 8 | UInt64(byte) } else { low = low << 8 | UInt64(byte) }
        }
        self.high = high
        self.low = low
    }

    /// The 16 bytes.
    public var bytes: [UInt8] {
        withUnsafeBytes(of: (high.bigEndian, low.bigEndian)) { Array($0) }
    }

    /// A new request id: its first 8 bytes drawn at random once per process, its last 8 a counter through
    /// SplitMix64's finaliser (a bijection), so ids never repeat within a process and, with 64 random bits
    /// apart, all but never across processes; the ids of one process run share their first half. Not a
    /// secret. (Drawing 16 random bytes for every request was two system calls an upload.)
    public static func random() -> RequestID {
        let count = RequestIDSource.counter.add(1, ordering: .relaxed).newValue
        var mixed = count ^ RequestIDSource.salt
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return RequestID(high: RequestIDSource.prefix, low: mixed ^ (mixed >> 31))
    }

    /// All zero: for events without a request (the platform's own).
    public static let none = RequestID(bytes: [UInt8](repeating: 0, count: 16))!

    public var description: String { bytes.map { String($0, radix: 16).leftPadded(to: 2) }.joined() }
}

/// An event to append: what happened, who did it, in answer to which request. The store assigns the
/// sequence number and the timestamp when it commits.
public struct NewEvent: Hashable, Sendable {
    /// What the event is.
    public var kind: EventKind
    /// The event's body (a protobuf message, to the store opaque bytes).
    public var body: [UInt8]
    /// Who caused it.
    public var actor: Actor
    /// The request it answers.
    public var requestID: RequestID

    /// An event to append.
    public init(kind: EventKind, body: [UInt8], actor: Actor, requestID: RequestID) {
        self.kind = kind
        self.body = body
        self.actor = actor
        self.requestID = requestID
    }
}

/// The envelope every stored event carries: sequence, commit time, kind, actor and request id.
public struct EventEnvelope: Hashable, Sendable {
    /// Its position in the log (dense, from 1).
    public var sequence: SequenceNumber
    /// When it was committed. Assigned by the writer in commit order, so timestamps never go backwards
    /// along the log.
    public var timestamp: Timestamp
    /// What the event is.
    public var kind: EventKind
    /// Who caused it.
    public var actor: Actor
    /// The request it answers.
    public var requestID: RequestID

    /// An envelope.
    public init(sequence: SequenceNumber, timestamp: Timestamp, kind: EventKind, actor: Actor, requestID: RequestID) {
        self.sequence = sequence
        self.timestamp = timestamp
        self.kind = kind
        self.actor = actor
        self.requestID = requestID
    }
}

/// An event read back from a store: its envelope and its body.
public struct Event: Hashable, Sendable {
    /// Sequence, time, kind, actor, request.
    public var envelope: EventEnvelope
    /// The body as appended.
    public var body: [UInt8]

    /// An event.
    public init(envelope: EventEnvelope, body: [UInt8]) {
        self.envelope = envelope
        self.body = body
    }

    /// The event's position in the log.
    public var sequence: SequenceNumber { envelope.sequence }

    /// The bytes the event's Merkle leaf is the hash of (`EventRecord`), the same in every engine.
    public var recordBytes: [UInt8] { EventRecord.encode(envelope: envelope, body: body) }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

/// Where new request ids come from: the process's random prefix and salt, and the counter.
private enum RequestIDSource {
    static let prefix = UInt64.random(in: 1 ... .max)
    static let salt = UInt64.random(in: 0 ... .max)
    static let counter = Atomic<UInt64>(0)
}
