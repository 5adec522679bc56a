import Logging
import PostgresNIO
import RenkeiCrypto
import RenkeiMerkle
import RenkeiModel
import RenkeiStore
import RenkeiZstd
import Synchronization

/// A read of the store inside one REPEATABLE READ, READ ONLY transaction: every query sees the database
/// as of the transaction's first one, so the log's end, the events, the key spaces and the tree agree.
struct PostgresSnapshot: StoreSnapshot {
    let connection: PostgresConnection
    let store: PostgresEventStore
    private var logger: Logger { store.logger }

    func latestSequence() async throws -> SequenceNumber {
        try await mapping {
            for try await seq in try await connection.query("SELECT seq FROM head WHERE id = 1", logger: logger).decode(Int64.self) {
                return SequenceNumber(UInt64(seq))
            }
            throw StoreError(.missingData, "the head row is missing")
        }
    }

    func event(at sequence: SequenceNumber) async throws -> Event? {
        try await events(from: sequence, limit: 1).first { $0.sequence == sequence }
    }

    func events(from start: SequenceNumber, limit: Int) async throws -> [Event] {
        guard limit > 0 else { return [] }
        return try await mapping {
            var events: [Event] = []
            let rows = try await connection.query("SELECT seq, record FROM events WHERE seq >= \(Int64(max(1, start.rawValue))) ORDER BY seq LIMIT \(Int64(limit))",
                                                  logger: logger)
            for try await (seq, record) in rows.decode((Int64, ByteBuffer).self) {
                events.append(try Self.event(seq, record))
            }
            return events
        }
    }

    func envelopes(from start: SequenceNumber, limit: Int) async throws -> [EventEnvelope] {
        guard limit > 0 else { return [] }
        return try await mapping {
            var envelopes: [EventEnvelope] = []
            // Only the record's envelope crosses the network.
            let rows = try await connection.query("""
                SELECT seq, substring(record FROM 1 FOR \(Int32(EventRecord.maximumEnvelopeSize))) FROM events
                WHERE seq >= \(Int64(max(1, start.rawValue))) ORDER BY seq LIMIT \(Int64(limit))
                """, logger: logger)
            for try await (seq, prefix) in rows.decode((Int64, ByteBuffer).self) {
                envelopes.append(try Self.event(seq, prefix, envelopeOnly: true).envelope)
            }
            return envelopes
        }
    }

    static func event(_ seq: Int64, _ record: ByteBuffer, envelopeOnly: Bool = false) throws -> Event {
        let sequence = SequenceNumber(UInt64(seq))
        return try record.readableBytesView.withContiguousStorageIfAvailable { raw in
            guard let (envelope, length) = EventRecord.decodeEnvelope(UnsafeRawBufferPointer(raw), sequence: sequence) else {
                throw StoreError(.corrupt, "the record of event \(seq) has no valid envelope")
            }
            return Event(envelope: envelope, body: envelopeOnly ? [] : Array(raw[length...]))
        } ?? { throw StoreError(.corrupt, "event \(seq)") }()
    }

    func blobInfo(_ hash: SHA256Digest) async throws -> BlobInfo? {
        try await mapping {
            let rows = try await connection.query("SELECT size, kind, refs FROM blobs WHERE hash = \(ByteBuffer(bytes: hash.bytes))", logger: logger)
            for try await (size, kind, refs) in rows.decode((Int64, String, Int64).self) {
                return BlobInfo(hash: hash, size: Int(size), kind: kind, references: Int(refs))
            }
            return nil
        }
    }

    func blob(_ hash: SHA256Digest) async throws -> [UInt8]? {
        try await mapping {
            let rows = try await connection.query("SELECT size, data FROM blobs WHERE hash = \(ByteBuffer(bytes: hash.bytes)) AND data IS NOT NULL",
                                                  logger: logger)
            for try await (size, frame) in rows.decode((Int64, ByteBuffer).self) {
                let stored = Array(frame.readableBytesView)
                if let id = stored.withUnsafeBytes({ Zstd.dictionaryID(ofFrame: $0) }), store.dictionaries.dictionary(id: id) == nil {
                    // Installed by another node since this one loaded its dictionaries.
                    try await store.dictionaries.load(from: store.database, logger: logger)
                }
                let bytes: [UInt8]
                do { bytes = try Zstd.decompress(stored, maximumSize: Int(size), dictionaries: store.dictionaries) } catch {
                    throw StoreError(.corrupt, "blob \(hash.hex) does not decompress: \(error)")
                }
                guard bytes.count == Int(size), SHA256.hash(bytes) == hash else { throw StoreError(.corrupt, "blob \(hash.hex) does not match its hash") }
                return bytes
            }
            return nil
        }
    }

    func dictionary(id: UInt32) async throws -> [UInt8]? {
        try await mapping {
            for try await bytes in try await connection.query("SELECT bytes FROM dictionaries WHERE id = \(Int64(id))", logger: logger).decode(ByteBuffer.self) {
                return Array(bytes.readableBytesView)
            }
            return nil
        }
    }

    func value(forKey key: [UInt8], in space: KeySpace) async throws -> [UInt8]? {
        try KeySpace.validate(key: key)
        return try await mapping {
            let rows = try await connection.query("SELECT value FROM kv WHERE space = \(space.name) AND key = \(ByteBuffer(bytes: key))", logger: logger)
            for try await value in rows.decode(ByteBuffer.self) { return Array(value.readableBytesView) }
            return nil
        }
    }

    func values(forKeys keys: [(space: KeySpace, key: [UInt8])]) async throws -> [[UInt8]?] {
        guard !keys.isEmpty else { return [] }
        for (_, key) in keys { try KeySpace.validate(key: key) }
        return try await mapping {
            var found: [Int: [UInt8]] = [:]
            let rows = try await connection.query("""
                SELECT w.n, kv.value FROM unnest(\(keys.map(\.space.name))::text[], \(keys.map { ByteBuffer(bytes: $0.key) })::bytea[])
                WITH ORDINALITY AS w(space, key, n) JOIN kv USING (space, key)
                """, logger: logger)
            for try await (n, value) in rows.decode((Int64, ByteBuffer).self) { found[Int(n) - 1] = Array(value.readableBytesView) }
            return keys.indices.map { found[$0] }
        }
    }

    func entries(in space: KeySpace, from lowerBound: [UInt8]?, to upperBound: [UInt8]?, limit: Int) async throws -> [KeyValue] {
        guard limit > 0 else { return [] }
        return try await mapping {
            let lower = ByteBuffer(bytes: lowerBound ?? [])
            let rows: PostgresRowSequence
            if let upperBound {
                rows = try await connection.query("""
                    SELECT key, value FROM kv WHERE space = \(space.name) AND key >= \(lower) AND key < \(ByteBuffer(bytes: upperBound))
                    ORDER BY key LIMIT \(Int64(limit))
                    """, logger: logger)
            } else {
                rows = try await connection.query("SELECT key, value FROM kv WHERE space = \(space.name) AND key >= \(lower) ORDER BY key LIMIT \(Int64(limit))",
                                                  logger: logger)
            }
            var entries: [KeyValue] = []
            for try await (key, value) in rows.decode((ByteBuffer, ByteBuffer).self) {
                entries.append(KeyValue(key: Array(key.readableBytesView), value: Array(value.readableBytesView)))
            }
            return entries
        }
    }

    func count(in space: KeySpace) async throws -> Int {
        try await mapping {
            for try await count in try await connection.query("SELECT count(*) FROM kv WHERE space = \(space.name)", logger: logger).decode(Int64.self) {
                return Int(count)
            }
            return 0
        }
    }

    func digest(of space: KeySpace) async throws -> SHA256Digest {
        var digest = KeySpaceDigest()
        var next: [UInt8]? = nil
        while true {
            let page = try await entries(in: space, from: next, to: nil, limit: 10_000)
            for entry in page { digest.add(key: entry.key, value: entry.value) }
            guard page.count == 10_000, let last = page.last else { return digest.finalize() }
            next = last.key + [0]
        }
    }

    func merkleRoot(treeSize: UInt64) async throws -> SHA256Digest {
        let size = try await latestSequence().rawValue
        guard treeSize <= size else { throw StoreError(.outOfRange, "tree size \(treeSize) beyond the log's \(size) events") }
        return try await withNodes { try MerkleTree(nodes: $0).root(size: treeSize) }
    }

    func inclusionProof(of sequence: SequenceNumber, treeSize: UInt64) async throws -> [SHA256Digest] {
        let size = try await latestSequence().rawValue
        guard treeSize <= size, sequence.rawValue >= 1, sequence.rawValue <= treeSize else {
            throw StoreError(.outOfRange, "event \(sequence) in a tree of \(treeSize) (the log has \(size))")
        }
        return try await withNodes { try MerkleTree(nodes: $0).inclusionProof(leaf: sequence.rawValue - 1, size: treeSize) }
    }

    func consistencyProof(from oldSize: UInt64, to newSize: UInt64) async throws -> [SHA256Digest] {
        let size = try await latestSequence().rawValue
        guard oldSize <= newSize, newSize <= size else {
            throw StoreError(.outOfRange, "tree sizes \(oldSize) → \(newSize) (the log has \(size))")
        }
        return try await withNodes { try MerkleTree(nodes: $0).consistencyProof(from: oldSize, to: newSize) }
    }

    private func withNodes<R>(_ compute: (PrefetchedNodes) throws -> R) async throws -> R {
        try await PostgresMerkle.computing(on: connection, logger: logger, compute)
    }

    private func mapping<R>(_ body: () async throws -> R) async throws -> R {
        do { return try await body() } catch { throw PostgresErrors.map(error) }
    }
}

/// Merkle nodes read ahead of a computation, or — while recording — the ids a computation asks for.
final class PrefetchedNodes: MerkleNodeReader, @unchecked Sendable {
    private let nodes: [MerkleNodeID: SHA256Digest]
    private let recording: Bool
    private(set) var requested: [MerkleNodeID] = []

    init(_ nodes: [MerkleNodeID: SHA256Digest]) {
        self.nodes = nodes
        recording = false
    }

    init(recording: Bool) {
        nodes = [:]
        self.recording = recording
    }

    func hash(of id: MerkleNodeID) throws -> SHA256Digest {
        if recording {
            requested.append(id)
            return MerkleHash.empty
        }
        guard let hash = nodes[id] else { throw MerkleError(.missingNode, "node \(id) is not stored") }
        return hash
    }
}

enum PostgresMerkle {
    /// Runs a tree computation twice: first to learn which stored nodes it reads (the arithmetic depends
    /// on sizes only, never on hashes), then, with those nodes fetched in one query, for real.
    static func computing<R>(on connection: PostgresConnection, logger: Logger, _ compute: (PrefetchedNodes) throws -> R) async throws -> R {
        let recording = PrefetchedNodes(recording: true)
        _ = try compute(recording)
        return try compute(PrefetchedNodes(try await fetch(recording.requested, on: connection, logger: logger)))
    }

    /// The stored nodes `ids`, in one query.
    static func fetch(_ ids: [MerkleNodeID], on connection: PostgresConnection, logger: Logger) async throws -> [MerkleNodeID: SHA256Digest] {
        guard !ids.isEmpty else { return [:] }
        var nodes: [MerkleNodeID: SHA256Digest] = [:]
        let rows = try await connection.query("""
            SELECT m.level, m.idx, m.hash FROM merkle m JOIN unnest(\(ids.map { Int32($0.level) })::int[], \(ids.map { Int64($0.index) })::bigint[]) AS w(level, idx)
            USING (level, idx)
            """, logger: logger)
        for try await (level, index, hash) in rows.decode((Int32, Int64, ByteBuffer).self) {
            guard let digest = SHA256Digest(bytes: Array(hash.readableBytesView)) else { throw StoreError(.corrupt, "Merkle node (\(level), \(index))") }
            nodes[MerkleNodeID(level: Int(level), index: UInt64(index))] = digest
        }
        return nodes
    }
}
