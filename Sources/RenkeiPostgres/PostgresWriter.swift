import Logging
import PostgresNIO
import RenkeiCrypto
import RenkeiMerkle
import RenkeiModel
import RenkeiStore
import RenkeiZstd
import Synchronization

/// This node's one writer: it takes the writes waiting (up to `maximumBatch`, or 64 MiB) and commits them
/// in one transaction. The transaction first locks the allocator row, so writers on every node take turns
/// and see each other's commits; it then decides each write in order against the database and the
/// writes before it in the batch — a write whose condition fails, or whose derived changes throw, is left
/// out and answered with its error, the rest commit together.
final class PostgresWriter: Sendable {
    struct Request: Sendable {
        let write: StoreWrite
        let dictionaries: [(UInt32, [UInt8])]
        let size: Int
        let continuation: CheckedContinuation<CommitReceipt, any Error>
    }

    private struct Queue {
        var waiting: [Request] = []
        var writerIdle: CheckedContinuation<[Request]?, Never>?
        var closed = false
    }

    private let database: PostgresDatabase
    private let configuration: PostgresEventStore.Configuration
    private let declared: Set<KeySpace>
    private let notifier: CommitNotifier
    private let dictionaries: DictionaryCache
    private let logger: Logger
    private let queue = Mutex(Queue())
    /// The tree's right edge and the log's end as this node last committed or read them.
    private let frontier = Mutex<MerkleFrontier?>(nil)
    private let loop: Mutex<Task<Void, Never>?> = Mutex(nil)
    private static let batchBytes = 64 << 20

    init(database: PostgresDatabase, configuration: PostgresEventStore.Configuration, declared: Set<KeySpace>, notifier: CommitNotifier,
         dictionaries: DictionaryCache, logger: Logger) {
        self.database = database
        self.configuration = configuration
        self.declared = declared
        self.notifier = notifier
        self.dictionaries = dictionaries
        self.logger = logger
        let task = Task { [self] in await self.run() }
        loop.withLock { $0 = task }
    }

    func submit(_ write: StoreWrite, dictionaries: [(UInt32, [UInt8])], size: Int) async throws -> CommitReceipt {
        try await withCheckedThrowingContinuation { continuation in
            let request = Request(write: write, dictionaries: dictionaries, size: size, continuation: continuation)
            let outcome: (CheckedContinuation<[Request]?, Never>?, Bool) = queue.withLock { queue in
                guard !queue.closed else { return (nil, false) }
                if let idle = queue.writerIdle {
                    queue.writerIdle = nil
                    return (idle, true)
                }
                queue.waiting.append(request)
                return (nil, true)
            }
            switch outcome {
            case (let idle?, _): idle.resume(returning: [request])
            case (nil, false): continuation.resume(throwing: StoreError(.closed, "no more writes are accepted"))
            case (nil, true): break
            }
        }
    }

    /// Commits what was accepted, then stops the writer.
    func close() async {
        let idle = queue.withLock { queue in
            queue.closed = true
            defer { queue.writerIdle = nil }
            return queue.writerIdle
        }
        idle?.resume(returning: nil)
        await loop.withLock { $0 }?.value
    }

    private func next() async -> [Request]? {
        await withCheckedContinuation { continuation in
            let ready: [Request]?? = queue.withLock { queue in
                if !queue.waiting.isEmpty {
                    var taken = 0, bytes = 0
                    while taken < queue.waiting.count, taken < configuration.maximumBatch, taken == 0 || bytes + queue.waiting[taken].size <= Self.batchBytes {
                        bytes += queue.waiting[taken].size
                        taken += 1
                    }
                    defer { queue.waiting.removeFirst(taken) }
                    return .some(Array(queue.waiting.prefix(taken)))
                }
                if queue.closed { return .some(nil) }
                queue.writerIdle = continuation
                return .none
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    private func run() async {
        while let batch = await next() {
            let outcomes: [Result<CommitReceipt, any Error>]
            do {
                outcomes = try await commit(batch)
            } catch {
                // The transaction did not commit (or its outcome is unknown): every write in it fails, and the
                // frontier is read again before the next one.
                frontier.withLock { $0 = nil }
                let mapped = PostgresErrors.map(error)
                for request in batch { request.continuation.resume(throwing: mapped) }
                continue
            }
            if let latest = outcomes.compactMap({ try? $0.get().latestSequence }).max() { notifier.publish(latest) }
            for (request, outcome) in zip(batch, outcomes) { request.continuation.resume(with: outcome) }
        }
    }

    /// What the batch has decided so far: the database's state as it read it, with the accepted writes applied.
    private struct Decision {
        var sequence: UInt64
        var lastMicros: Int64
        var frontier: MerkleFrontier
        var nodes: [(MerkleNodeID, SHA256Digest)] = []
        var events: [(UInt64, [UInt8])] = []
        /// Values of the keys the batch's conditions name, as the database holds them (nil: absent).
        var read: [SpaceKey: [UInt8]] = [:]
        /// The batch's changes, key by key (nil: deleted), after any clear of their space.
        var changes: [SpaceKey: [UInt8]?] = [:]
        var cleared: Set<KeySpace> = []
        var blobs: [SHA256Digest: BlobState] = [:]
        var dictionaries: [UInt32: [UInt8]] = [:]
        var newDictionaries: [(UInt32, [UInt8])] = []
    }

    struct SpaceKey: Hashable {
        let space: KeySpace
        let key: [UInt8]
    }

    struct BlobState {
        var size: Int
        var kind: String
        var references: Int
        var hasBytes: Bool
        var newBytes: [UInt8]?
    }

    private func commit(_ batch: [Request]) async throws -> [Result<CommitReceipt, any Error>] {
        try await database.transaction(logger: logger) { connection in try await decideAndWrite(batch, on: connection) }
    }

    private func decideAndWrite(_ batch: [Request], on connection: PostgresConnection) async throws -> [Result<CommitReceipt, any Error>] {
        // The allocator: held until COMMIT, so nobody else appends meanwhile.
        var sequence: UInt64 = 0, lastMicros: Int64 = .min
        for try await (seq, micros) in try await connection.query("SELECT seq, last_micros FROM head WHERE id = 1 FOR UPDATE", logger: logger)
            .decode((Int64, Int64).self) {
            (sequence, lastMicros) = (UInt64(seq), micros)
        }
        var tree = frontier.withLock { $0 }
        if tree?.size != sequence {
            // Another node appended since (or this one has not read the tree yet): its right edge, from the nodes.
            tree = try await PostgresMerkle.computing(on: connection, logger: logger) { try MerkleFrontier(size: sequence, nodes: $0) }
        }
        var decision = Decision(sequence: sequence, lastMicros: lastMicros, frontier: tree!)
        try await prefetch(batch, into: &decision, on: connection)

        var outcomes: [Result<CommitReceipt, any Error>] = []
        for request in batch {
            var attempt = decision
            do {
                let receipt = try decide(request, in: &attempt)
                decision = attempt
                outcomes.append(.success(receipt))
            } catch {
                outcomes.append(.failure(error))
            }
        }
        try await write(decision, on: connection)
        frontier.withLock { $0 = decision.frontier }
        for (id, bytes) in decision.newDictionaries {
            if let dictionary = try? ZstdDictionary(bytes: bytes) { dictionaries.insert(dictionary) } else { logger.error("dictionary \(id) does not load") }
        }
        return outcomes
    }

    /// Reads, in one query, the keys the batch's conditions name and the files it stores or releases, and in
    /// another the dictionaries it installs.
    private func prefetch(_ batch: [Request], into decision: inout Decision, on connection: PostgresConnection) async throws {
        var keys: [SpaceKey] = []
        var hashes: Set<SHA256Digest> = []
        var dictionaryIDs: Set<UInt32> = []
        for request in batch {
            for condition in request.write.conditions {
                switch condition {
                case .absent(let space, let key), .unchanged(let space, let key, _): keys.append(SpaceKey(space: space, key: key))
                case .logEnds: break
                }
            }
            for blob in request.write.blobs { hashes.insert(blob.hash) }
            for hash in request.write.releasedBlobs { hashes.insert(hash) }
            for (id, _) in request.dictionaries { dictionaryIDs.insert(id) }
        }
        if !keys.isEmpty || !hashes.isEmpty {
            // Both in one query: the values (kind 0) and the files (kind 1).
            let rows = try await connection.query("""
                SELECT 0, kv.space, kv.key, kv.value, 0::bigint, ''::text, 0::bigint, false
                FROM kv JOIN unnest(\(keys.map(\.space.name))::text[], \(keys.map { ByteBuffer(bytes: $0.key) })::bytea[]) AS w(space, key) USING (space, key)
                UNION ALL
                SELECT 1, '', hash, ''::bytea, size, kind, refs, data IS NOT NULL FROM blobs WHERE hash = ANY(\(hashes.map { ByteBuffer(bytes: $0.bytes) })::bytea[])
                """, logger: logger)
            for try await (kind, space, key, value, size, blobKind, refs, hasBytes)
                in rows.decode((Int32, String, ByteBuffer, ByteBuffer, Int64, String, Int64, Bool).self) {
                if kind == 0 {
                    decision.read[SpaceKey(space: try KeySpace(space), key: Array(key.readableBytesView))] = Array(value.readableBytesView)
                } else {
                    guard let digest = SHA256Digest(bytes: Array(key.readableBytesView)) else { throw StoreError(.corrupt, "a blob's hash") }
                    decision.blobs[digest] = BlobState(size: Int(size), kind: blobKind, references: Int(refs), hasBytes: hasBytes, newBytes: nil)
                }
            }
        }
        if !dictionaryIDs.isEmpty {
            let rows = try await connection.query("SELECT id, bytes FROM dictionaries WHERE id = ANY(\(dictionaryIDs.map { Int64($0) })::bigint[])", logger: logger)
            for try await (id, bytes) in rows.decode((Int64, ByteBuffer).self) { decision.dictionaries[UInt32(id)] = Array(bytes.readableBytesView) }
        }
    }

    /// One write against the decision so far; on success the decision includes it.
    private func decide(_ request: Request, in decision: inout Decision) throws -> CommitReceipt {
        let write = request.write
        for condition in write.conditions {
            let holds: Bool = switch condition {
            case .absent(let space, let key): current(SpaceKey(space: space, key: key), in: decision) == nil
            case .unchanged(let space, let key, let value): current(SpaceKey(space: space, key: key), in: decision) == value
            case .logEnds(let sequence): decision.sequence == sequence.rawValue
            }
            guard holds else { throw StoreError(.conditionFailed, condition.description) }
        }
        for (id, bytes) in request.dictionaries {
            if let existing = decision.dictionaries[id] {
                guard existing == bytes else { throw StoreError(.invalidArgument, "a different dictionary with id \(id) is already installed") }
            } else {
                decision.dictionaries[id] = bytes
                decision.newDictionaries.append((id, bytes))
            }
        }
        var stored: [SHA256Digest] = []
        for blob in write.blobs {
            var state = decision.blobs[blob.hash] ?? BlobState(size: blob.size, kind: blob.kind, references: 0, hasBytes: false, newBytes: nil)
            if !state.hasBytes {
                state.hasBytes = true
                state.newBytes = blob.stored
                stored.append(blob.hash)
            }
            state.references += 1
            decision.blobs[blob.hash] = state
        }
        for hash in write.releasedBlobs {
            guard var state = decision.blobs[hash], state.references > 0 else { throw StoreError(.invalidArgument, "file \(hash.hex) is not referenced") }
            state.references -= 1
            if state.references == 0 {
                state.hasBytes = false
                state.newBytes = nil
            }
            decision.blobs[hash] = state
        }
        var envelopes: [EventEnvelope] = []
        for event in write.events {
            decision.lastMicros = max(decision.lastMicros, configuration.clock().rawValue)
            decision.sequence += 1
            let envelope = EventEnvelope(sequence: SequenceNumber(decision.sequence), timestamp: Timestamp(rawValue: decision.lastMicros),
                                         kind: event.kind, actor: event.actor, requestID: event.requestID)
            let record = EventRecord.encode(envelope: envelope, body: event.body)
            decision.frontier.append(leafHash: MerkleHash.leaf(record)) { decision.nodes.append(($0, $1)) }
            decision.events.append((decision.sequence, record))
            envelopes.append(envelope)
        }
        let frontier = decision.frontier
        let context = CommitContext(events: envelopes, treeSize: frontier.size, root: frontier.root)
        let derived = try write.derivedChanges?(context) ?? []
        for change in derived {
            _ = try change.validate(limits: configuration.limits) { space in
                guard declared.contains(space) || KeySpace.builtIn.contains(space) else { throw StoreError(.unknownKeySpace, "\(space) was not declared") }
            }
        }
        for change in write.changes + derived {
            switch change {
            case .put(let space, let key, let value): decision.changes[SpaceKey(space: space, key: key)] = .some(value)
            case .delete(let space, let key): decision.changes[SpaceKey(space: space, key: key)] = .some(nil)
            case .clear(let space):
                decision.cleared.insert(space)
                decision.changes = decision.changes.filter { $0.key.space != space }
            }
        }
        return CommitReceipt(events: envelopes, latestSequence: SequenceNumber(decision.sequence), storedBlobs: stored)
    }

    private func current(_ key: SpaceKey, in decision: Decision) -> [UInt8]? {
        if let changed = decision.changes[key] { return changed }
        return decision.cleared.contains(key.space) ? nil : decision.read[key]
    }

    /// Sends what the batch decided: events, tree nodes, files, dictionaries, key-space changes, the new
    /// end of the log, and the notification other nodes' tails wait for (delivered at COMMIT) — in one
    /// statement, but for the rare clear of whole key spaces and new dictionaries.
    private func write(_ decision: Decision, on connection: PostgresConnection) async throws {
        if !decision.newDictionaries.isEmpty {
            try await connection.query("""
                INSERT INTO dictionaries (id, bytes) SELECT * FROM unnest(\(decision.newDictionaries.map { Int64($0.0) })::bigint[],
                \(decision.newDictionaries.map { ByteBuffer(bytes: $0.1) })::bytea[])
                """, logger: logger)
        }
        if !decision.cleared.isEmpty {
            // Before the rest: one statement cannot delete a row and insert its key again.
            try await connection.query("DELETE FROM kv WHERE space = ANY(\(decision.cleared.map(\.name))::text[])", logger: logger)
        }
        var puts: [(SpaceKey, [UInt8])] = [], deletes: [SpaceKey] = []
        for (key, value) in decision.changes {
            if let value { puts.append((key, value)) } else { deletes.append(key) }
        }
        let blobs = Array(decision.blobs)
        // The parts of one statement run on one snapshot; they touch different rows (a key is put or deleted, not both).
        try await connection.query("""
            WITH e AS (INSERT INTO events (seq, record) SELECT * FROM unnest(\(decision.events.map { Int64($0.0) })::bigint[],
                          \(decision.events.map { ByteBuffer(bytes: $0.1) })::bytea[])),
                 m AS (INSERT INTO merkle (level, idx, hash) SELECT * FROM unnest(\(decision.nodes.map { Int32($0.0.level) })::int[],
                          \(decision.nodes.map { Int64($0.0.index) })::bigint[], \(decision.nodes.map { ByteBuffer(bytes: $0.1.bytes) })::bytea[])),
                 b AS (INSERT INTO blobs (hash, size, kind, refs, data)
                       SELECT h, s, k, r, CASE WHEN n THEN d ELSE NULL END
                       FROM unnest(\(blobs.map { ByteBuffer(bytes: $0.key.bytes) })::bytea[], \(blobs.map { Int64($0.value.size) })::bigint[],
                                   \(blobs.map(\.value.kind))::text[], \(blobs.map { Int64($0.value.references) })::bigint[],
                                   \(blobs.map { ByteBuffer(bytes: $0.value.newBytes ?? []) })::bytea[], \(blobs.map { $0.value.newBytes != nil })::bool[])
                            AS t(h, s, k, r, d, n)
                       ON CONFLICT (hash) DO UPDATE SET refs = EXCLUDED.refs,
                           data = CASE WHEN EXCLUDED.refs = 0 THEN NULL WHEN EXCLUDED.data IS NOT NULL THEN EXCLUDED.data ELSE blobs.data END),
                 d AS (DELETE FROM kv WHERE (space, key) IN
                          (SELECT * FROM unnest(\(deletes.map(\.space.name))::text[], \(deletes.map { ByteBuffer(bytes: $0.key) })::bytea[]))),
                 p AS (INSERT INTO kv (space, key, value) SELECT * FROM unnest(\(puts.map(\.0.space.name))::text[],
                          \(puts.map { ByteBuffer(bytes: $0.0.key) })::bytea[], \(puts.map { ByteBuffer(bytes: $0.1) })::bytea[])
                       ON CONFLICT (space, key) DO UPDATE SET value = EXCLUDED.value),
                 h AS (UPDATE head SET seq = \(Int64(decision.sequence)), last_micros = \(decision.lastMicros) WHERE id = 1)
            SELECT pg_notify(\("renkei_commits_" + configuration.schema), \(String(decision.sequence)))
            """, logger: logger)
    }
}
