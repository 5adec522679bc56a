import RenkeiCrypto
import RenkeiMerkle
public import RenkeiModel
import Synchronization

/// The storage protocol held in memory: nothing survives the process. It proves the protocol is not
/// shaped by LMDB, and it makes the domain's tests fast. It keeps the same limits, the same canonical
/// records, Merkle tree and digests as every other engine, and passes the same conformance suite.
public final class InMemoryEventStore: EventStore {
    struct BlobEntry: Sendable {
        var info: BlobInfo
        var bytes: [UInt8]?
    }

    struct State: Sendable {
        var events: [Event] = []
        var frontier = MerkleFrontier()
        var nodes: [MerkleNodeID: SHA256Digest] = [:]
        var blobs: [SHA256Digest: BlobEntry] = [:]
        var dictionaries: [UInt32: [UInt8]] = [:]
        var keySpaces: [KeySpace: SortedKeyValues] = [:]
        var lastTimestamp = Timestamp(rawValue: .min)
        var closed = false
    }

    public let identity: StoreIdentity
    public let keySpaces: [KeySpace]
    /// The bounds it keeps.
    public let limits: StoreLimits
    private let declared: Set<KeySpace>
    private let clock: @Sendable () -> Timestamp
    private let state: Mutex<State>
    private let notifier = CommitNotifier(latest: .zero)

    /// An empty store with `keySpaces` declared. `clock` gives commit times (the writer never lets them
    /// go backwards).
    public init(keySpaces: [KeySpace] = [], limits: StoreLimits = StoreLimits(), clock: @escaping @Sendable () -> Timestamp = { .now() }) {
        identity = .new(engine: "memory", format: Int(EventRecord.format))
        self.keySpaces = keySpaces
        self.limits = limits
        self.clock = clock
        declared = Set(keySpaces)
        var initial = State()
        for space in keySpaces + KeySpace.builtIn { initial.keySpaces[space] = SortedKeyValues() }
        state = Mutex(initial)
    }

    public var latestSequence: SequenceNumber { notifier.latest }

    public func prepareBlob(_ bytes: [UInt8], kind: String, dictionaryID: UInt32?) throws -> PreparedBlob {
        try PreparedBlob.validate(kind: kind)
        guard bytes.count <= limits.maximumBlobSize else {
            throw StoreError(.tooLarge, "a file of \(bytes.count) bytes; at most \(limits.maximumBlobSize)")
        }
        if let dictionaryID {
            guard state.withLock({ $0.dictionaries[dictionaryID] != nil }) else {
                throw StoreError(.unknownDictionary, "dictionary \(dictionaryID)")
            }
        }
        return PreparedBlob(hash: SHA256.hash(bytes), size: bytes.count, kind: kind, dictionaryID: dictionaryID, stored: bytes)
    }

    public func commit(_ write: StoreWrite) async throws -> CommitReceipt {
        _ = try write.validate(limits: limits, keySpaces: declared)
        let receipt = try state.withLock { state in try apply(write, to: &state) }
        notifier.publish(receipt.latestSequence)
        return receipt
    }

    /// Checks everything that can fail first, then changes the state (so a refused write changes nothing
    /// and no copy of the state is made).
    private func apply(_ write: StoreWrite, to state: inout State) throws -> CommitReceipt {
        guard !state.closed else { throw StoreError(.closed, "no more writes are accepted") }
        for condition in write.conditions {
            let holds: Bool = switch condition {
            case .absent(let space, let key): state.keySpaces[space]?[key] == nil
            case .unchanged(let space, let key, let value): state.keySpaces[space]?[key] == value
            case .logEnds(let sequence): SequenceNumber(UInt64(state.events.count)) == sequence
            }
            guard holds else { throw StoreError(.conditionFailed, condition.description) }
        }
        var newDictionaries: [UInt32: [UInt8]] = [:]
        for bytes in write.dictionaries {
            guard let id = DictionaryHeader.id(of: bytes) else { throw StoreError(.invalidArgument, "not a zstd dictionary") }
            if let existing = state.dictionaries[id] ?? newDictionaries[id], existing != bytes {
                throw StoreError(.invalidArgument, "a different dictionary with id \(id) is already installed")
            }
            newDictionaries[id] = bytes
        }
        var references: [SHA256Digest: Int] = [:]
        for blob in write.blobs { references[blob.hash, default: state.blobs[blob.hash]?.info.references ?? 0] += 1 }
        for hash in write.releasedBlobs {
            let current = references[hash] ?? state.blobs[hash]?.info.references ?? 0
            guard current > 0 else { throw StoreError(.invalidArgument, "file \(hash.hex) is not referenced") }
            references[hash] = current - 1
        }
        var frontier = state.frontier
        var nodes: [(MerkleNodeID, SHA256Digest)] = []
        var envelopes: [EventEnvelope] = []
        var timestamp = state.lastTimestamp
        for event in write.events {
            timestamp = max(timestamp, clock())
            let envelope = EventEnvelope(sequence: SequenceNumber(frontier.size + 1), timestamp: timestamp, kind: event.kind, actor: event.actor, requestID: event.requestID)
            frontier.append(leafHash: MerkleHash.leaf(EventRecord.encode(envelope: envelope, body: event.body))) { nodes.append(($0, $1)) }
            envelopes.append(envelope)
        }
        let final = frontier
        let context = CommitContext(events: envelopes, treeSize: final.size, root: final.root)
        let derived = try write.derivedChanges?(context) ?? []
        for change in derived { _ = try change.validate(limits: limits) { space in
            guard state.keySpaces[space] != nil else { throw StoreError(.unknownKeySpace, "\(space) was not declared") }
        } }

        // Nothing below fails.
        state.dictionaries.merge(newDictionaries) { old, _ in old }
        var stored: [SHA256Digest] = []
        for blob in write.blobs where (state.blobs[blob.hash]?.bytes == nil) && !stored.contains(blob.hash) {
            stored.append(blob.hash)
            state.blobs[blob.hash] = BlobEntry(info: BlobInfo(hash: blob.hash, size: blob.size, kind: blob.kind, references: 0), bytes: blob.stored)
        }
        for (hash, count) in references {
            guard var entry = state.blobs[hash] else { continue }
            entry.info = BlobInfo(hash: hash, size: entry.info.size, kind: entry.info.kind, references: count)
            if count == 0 { entry.bytes = nil }
            state.blobs[hash] = entry
        }
        for (envelope, event) in zip(envelopes, write.events) { state.events.append(Event(envelope: envelope, body: event.body)) }
        for (id, hash) in nodes { state.nodes[id] = hash }
        state.frontier = frontier
        state.lastTimestamp = timestamp
        for change in write.changes + derived {
            switch change {
            case .put(let space, let key, let value): state.keySpaces[space]!.put(value, forKey: key)
            case .delete(let space, let key): state.keySpaces[space]!.remove(key)
            case .clear(let space): state.keySpaces[space]!.removeAll()
            }
        }
        return CommitReceipt(events: envelopes, latestSequence: SequenceNumber(frontier.size), storedBlobs: stored)
    }

    public func read<R: Sendable>(_ body: (any StoreSnapshot) async throws -> R) async throws -> R {
        let snapshot = try state.withLock { state in
            guard !state.closed else { throw StoreError(.closed, "the store is closed") }
            return InMemorySnapshot(state: state)
        }
        return try await body(snapshot)
    }

    public func tail(after position: SequenceNumber) -> CommittedSequences {
        CommittedSequences(after: position, notifier: notifier)
    }

    public func close() async {
        state.withLock { $0.closed = true }
        notifier.close()
    }
}
