public import RenkeiCrypto
public import RenkeiModel

/// A precondition of a write, checked by the writer atomically with the write: if any does not hold,
/// nothing of the write is stored and it fails with `StoreError.Code.conditionFailed`.
///
/// This is how a command decided against a snapshot stays correct when other writes commit in between:
/// it names what its decision depended on (the event stores' "expected version").
public enum StoreCondition: Hashable, Sendable, CustomStringConvertible {
    /// `key` must not be present in the key space (put-if-absent, idempotency keys, uniqueness).
    case absent(KeySpace, key: [UInt8])
    /// `key` must hold exactly `value` (nil: must be absent): the value the decision read has not changed.
    case unchanged(KeySpace, key: [UInt8], value: [UInt8]?)
    /// The log must end at exactly this sequence (nothing appended since the snapshot).
    case logEnds(at: SequenceNumber)

    public var description: String {
        switch self {
        case .absent(let space, let key): "\(space) key \(key.debugText) must be absent"
        case .unchanged(let space, let key, _): "\(space) key \(key.debugText) must be unchanged"
        case .logEnds(let sequence): "the log must end at \(sequence)"
        }
    }
}

/// A change to a key space, applied with the write's events.
public enum KeyChange: Hashable, Sendable {
    /// Stores `value` under `key`, replacing what was there.
    case put(KeySpace, key: [UInt8], value: [UInt8])
    /// Removes `key` (nothing if absent).
    case delete(KeySpace, key: [UInt8])
    /// Removes every key of the key space (a projection about to be rebuilt).
    case clear(KeySpace)

    /// Records that `projection` has applied the log up to `sequence`.
    public static func recordApplied(_ projection: String, through sequence: SequenceNumber) -> KeyChange {
        .put(.applied, key: Array(projection.utf8), value: sequence.bigEndianBytes)
    }

    /// The key space it changes.
    public var keySpace: KeySpace {
        switch self {
        case .put(let space, _, _), .delete(let space, _), .clear(let space): space
        }
    }
}

/// What a write's derived changes may depend on: the events as committed (sequence and time, assigned
/// by the writer) and the Merkle tree right after them.
public struct CommitContext: Sendable {
    /// The envelopes of the write's events, in order.
    public let events: [EventEnvelope]
    /// The tree size after the write's events (the log's end).
    public let treeSize: UInt64
    /// The Merkle root at `treeSize`, from the writer's frontier (no reads), computed when asked: most
    /// writes never ask, and it costs a hash per level of the tree.
    public var root: SHA256Digest { computeRoot() }
    private let computeRoot: @Sendable () -> SHA256Digest

    /// A context (engines make these); `root` is evaluated only if a derivation reads it.
    public init(events: [EventEnvelope], treeSize: UInt64, root: @escaping @autoclosure @Sendable () -> SHA256Digest) {
        self.events = events
        self.treeSize = treeSize
        self.computeRoot = root
    }
}

/// One command's write: its preconditions, the events it appends, the files it stores or releases, the
/// dictionaries it installs and the key-space changes of its projections — all committed together,
/// durably, or not at all.
///
/// Writes are values, not closures over a transaction, so that every engine can run them: the LMDB store
/// applies many in one group commit; a PostgreSQL store sends them to the server in one transaction.
public struct StoreWrite: Sendable {
    /// Checked first, atomically with the rest.
    public var conditions: [StoreCondition]
    /// Appended in order, with dense sequence numbers and non-decreasing timestamps.
    public var events: [NewEvent]
    /// Files to store: each adds one reference to its content (stored once per content).
    public var blobs: [PreparedBlob]
    /// Files whose reference is dropped: when none is left, the bytes are purged; their hash, size and
    /// kind stay readable.
    public var releasedBlobs: [SHA256Digest]
    /// zstd dictionaries to install (their bytes); they are used only once the write has committed.
    public var dictionaries: [[UInt8]]
    /// Key-space changes known before the commit.
    public var changes: [KeyChange]
    /// Key-space changes that depend on the committed envelopes (a mailbox entry keyed by sequence, a
    /// checkpoint at the new root). Runs on the writer: keep it short and free of side effects. If it
    /// throws, nothing of the write is stored and the error is the write's.
    public var derivedChanges: (@Sendable (CommitContext) throws -> [KeyChange])?

    /// A write; every part is optional.
    public init(
        conditions: [StoreCondition] = [], events: [NewEvent] = [], blobs: [PreparedBlob] = [],
        releasedBlobs: [SHA256Digest] = [], dictionaries: [[UInt8]] = [], changes: [KeyChange] = [],
        derivedChanges: (@Sendable (CommitContext) throws -> [KeyChange])? = nil
    ) {
        self.conditions = conditions
        self.events = events
        self.blobs = blobs
        self.releasedBlobs = releasedBlobs
        self.dictionaries = dictionaries
        self.changes = changes
        self.derivedChanges = derivedChanges
    }
}

/// What a committed write answers: its events' envelopes and the log's end after it.
public struct CommitReceipt: Hashable, Sendable {
    /// The write's events as committed, in order.
    public let events: [EventEnvelope]
    /// The log's end after the write's commit.
    public let latestSequence: SequenceNumber
    /// Files whose bytes this write stored (the others were already there).
    public let storedBlobs: [SHA256Digest]

    /// A receipt (engines make these).
    public init(events: [EventEnvelope], latestSequence: SequenceNumber, storedBlobs: [SHA256Digest]) {
        self.events = events
        self.latestSequence = latestSequence
        self.storedBlobs = storedBlobs
    }
}

extension SequenceNumber {
    /// 8 bytes, big-endian: sorts like the number.
    public var bigEndianBytes: [UInt8] { withUnsafeBytes(of: rawValue.bigEndian) { Array($0) } }

    /// The sequence from 8 big-endian bytes, or nil.
    public init?(bigEndianBytes bytes: [UInt8]) {
        guard bytes.count == 8 else { return nil }
        self.init(bytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
    }
}

extension [UInt8] {
    var debugText: String {
        if let text = String(validating: self, as: UTF8.self), text.unicodeScalars.allSatisfy({ $0.value >= 0x20 }) { return "\"\(text)\"" }
        return "0x" + map { String($0, radix: 16).leftPadded(to: 2) }.joined()
    }
}
