public import RenkeiCrypto
public import RenkeiModel

/// The storage protocol: everything the domain may ask of a store. An engine (the embedded LMDB store,
/// the in-memory store for tests, PostgreSQL for several servers) implements it and passes the one
/// conformance suite; nothing here names an engine's types, flags or errors.
///
/// The shape is the one event stores use: a command is decided against a snapshot (`read`), and its
/// write (`commit`) carries the preconditions its decision depended on, which the writer checks
/// atomically; on `StoreError.Code.conditionFailed` the command decides again against a new snapshot.
/// A write is a value, so an engine may group many into one durable commit.
public protocol EventStore: AnyObject, Sendable {
    /// Who the store is: its id, creation time, engine and format.
    var identity: StoreIdentity { get }

    /// The key spaces declared when it was opened (besides `KeySpace.builtIn`).
    var keySpaces: [KeySpace] { get }

    /// The last committed sequence number (`.zero` for an empty log).
    var latestSequence: SequenceNumber { get }

    /// Hashes `bytes` and puts them in the engine's stored form (compressed with the installed
    /// dictionary `dictionaryID` where the engine compresses), in the caller's task.
    ///
    /// - Throws: `StoreError` `.tooLarge`, `.unknownDictionary`, `.invalidArgument` (a bad kind).
    func prepareBlob(_ bytes: [UInt8], kind: String, dictionaryID: UInt32?) throws -> PreparedBlob

    /// Commits `write` durably and returns its receipt: when this returns, the write is on disk (as far as
    /// the engine promises) and visible to every later snapshot. If it throws, nothing of it was stored.
    ///
    /// - Throws: `StoreError` — `.conditionFailed`, `.storageFull`, `.overloaded`, `.tooLarge`,
    ///   `.unknownKeySpace`, `.invalidArgument`, `.closed`, `.readOnly` — or the error `derivedChanges` threw.
    func commit(_ write: StoreWrite) async throws -> CommitReceipt

    /// Runs `body` with a consistent snapshot: every read inside sees the store as of one commit.
    /// The snapshot ends when `body` returns; it must not be kept.
    func read<R: Sendable>(_ body: (any StoreSnapshot) async throws -> R) async throws -> R

    /// The committed sequence numbers after `position`, in order: first those already committed
    /// (catch-up), then each new one as its commit becomes durable (live), none missing or doubled.
    /// Ends when the store closes or the consuming task is cancelled.
    func tail(after position: SequenceNumber) -> CommittedSequences

    /// Finishes the writes already accepted, then closes; later calls throw `.closed`. Tails end.
    func close() async
}

/// A consistent view of a store as of one commit. Valid only inside the closure that received it.
public protocol StoreSnapshot {
    /// The last sequence number in this snapshot (`.zero` for an empty log).
    func latestSequence() async throws -> SequenceNumber

    /// The event at `sequence`, or nil if the log does not reach it.
    func event(at sequence: SequenceNumber) async throws -> Event?

    /// Up to `limit` events from `start` on, in order.
    func events(from start: SequenceNumber, limit: Int) async throws -> [Event]

    /// Up to `limit` envelopes from `start` on, in order, without reading bodies.
    func envelopes(from start: SequenceNumber, limit: Int) async throws -> [EventEnvelope]

    /// What the store knows of the file with `hash`, or nil if it never held it.
    func blobInfo(_ hash: SHA256Digest) async throws -> BlobInfo?

    /// The file's bytes, checked against the hash; nil if never stored or purged.
    func blob(_ hash: SHA256Digest) async throws -> [UInt8]?
    /// The bytes of the installed zstd dictionary `id` (as a write installed them), or nil.
    func dictionary(id: UInt32) async throws -> [UInt8]?

    /// The value under `key` in `space`, or nil.
    func value(forKey key: [UInt8], in space: KeySpace) async throws -> [UInt8]?

    /// The values under `keys` (nil where absent), in the order asked. A store across a network reads them
    /// in one round trip; the default reads them one by one.
    func values(forKeys keys: [(space: KeySpace, key: [UInt8])]) async throws -> [[UInt8]?]

    /// Up to `limit` entries of `space` with keys in `lowerBound ..< upperBound` (nil: unbounded), in key
    /// order. To page on, call again with the last key returned plus a 0 byte as the lower bound.
    func entries(in space: KeySpace, from lowerBound: [UInt8]?, to upperBound: [UInt8]?, limit: Int) async throws -> [KeyValue]

    /// The number of keys in `space`.
    func count(in space: KeySpace) async throws -> Int

    /// SHA-256 over the ordered keys and values of `space` (`KeySpaceDigest`): equal digests mean equal
    /// contents, byte for byte, whatever the engine.
    func digest(of space: KeySpace) async throws -> SHA256Digest

    /// The Merkle root of the first `treeSize` events.
    func merkleRoot(treeSize: UInt64) async throws -> SHA256Digest

    /// The inclusion proof of the event at `sequence` in the tree of `treeSize` events (RFC 9162).
    func inclusionProof(of sequence: SequenceNumber, treeSize: UInt64) async throws -> [SHA256Digest]

    /// The consistency proof between the trees of `oldSize` and `newSize` events (RFC 9162).
    func consistencyProof(from oldSize: UInt64, to newSize: UInt64) async throws -> [SHA256Digest]
}

extension StoreSnapshot {
    public func values(forKeys keys: [(space: KeySpace, key: [UInt8])]) async throws -> [[UInt8]?] {
        var values: [[UInt8]?] = []
        for (space, key) in keys { values.append(try await value(forKey: key, in: space)) }
        return values
    }

    /// The sequence through which `projection` has applied the log (`.zero` if never).
    public func appliedSequence(of projection: String) async throws -> SequenceNumber {
        guard let value = try await value(forKey: Array(projection.utf8), in: .applied) else { return .zero }
        guard let sequence = SequenceNumber(bigEndianBytes: value) else {
            throw StoreError(.corrupt, "the applied sequence of \(projection) has \(value.count) bytes")
        }
        return sequence
    }

    /// Every entry of `space` with a key in the bounds, read in pages of `pageSize`.
    public func allEntries(in space: KeySpace, from lowerBound: [UInt8]? = nil, to upperBound: [UInt8]? = nil, pageSize: Int = 1024) async throws -> [KeyValue] {
        var all: [KeyValue] = []
        var next = lowerBound
        while true {
            let page = try await entries(in: space, from: next, to: upperBound, limit: pageSize)
            all += page
            guard page.count == pageSize, let last = page.last else { return all }
            next = last.key + [0]
        }
    }
}

extension EventStore {
    /// Commits a write of one event and returns its envelope.
    public func append(_ event: NewEvent) async throws -> EventEnvelope {
        try await commit(StoreWrite(events: [event])).events[0]
    }
}

/// Who a store is. Recorded durably when the store is created, so that a store that exists is never
/// reopened as a new, empty one.
public struct StoreIdentity: Hashable, Sendable, CustomStringConvertible {
    /// A random id given at creation (32 hex digits).
    public let id: String
    /// When the store was created.
    public let created: Timestamp
    /// The engine: `lmdb`, `memory`, `postgresql`.
    public let engine: String
    /// The storage format version.
    public let format: Int

    /// An identity.
    public init(id: String, created: Timestamp, engine: String, format: Int) {
        self.id = id
        self.created = created
        self.engine = engine
        self.format = format
    }

    /// A new identity with a random id, created now.
    public static func new(engine: String, format: Int) -> StoreIdentity {
        StoreIdentity(id: RequestID.random().description, created: .now(), engine: engine, format: format)
    }

    public var description: String { "\(engine) store \(id) (format \(format), created \(created))" }
}
