import PostgresNIO
import RenkeiCrypto
import RenkeiMerkle
public import RenkeiModel
public import RenkeiStore
import RenkeiZstd

/// Copying another store in (`renkei-admin migrate`): events exactly as they were recorded (sequence, time,
/// actor, request id — so the Merkle tree and its roots come out the same), files with their reference
/// counts, dictionaries, and key-space entries. These are the PostgreSQL store's own operations, not the
/// storage protocol's: a copy is not a command. Each call is one transaction under the allocator row.
extension PostgresEventStore {
    /// Appends `events`, which must continue the log exactly (the first one's sequence is the log's end + 1,
    /// the rest follow densely, times never go back).
    public func importEvents(_ events: [Event]) async throws {
        guard let first = events.first else { return }
        let latest = try await importing { connection in
            var end: UInt64 = 0, lastMicros: Int64 = .min
            for try await (seq, micros) in try await connection.query("SELECT seq, last_micros FROM head WHERE id = 1 FOR UPDATE", logger: logger)
                .decode((Int64, Int64).self) {
                (end, lastMicros) = (UInt64(seq), micros)
            }
            guard first.sequence.rawValue == end + 1 else {
                throw StoreError(.invalidArgument, "the copy continues at \(first.sequence), the log ends at \(end)")
            }
            var frontier = try await PostgresMerkle.computing(on: connection, logger: logger) { try MerkleFrontier(size: end, nodes: $0) }
            var nodes: [(MerkleNodeID, SHA256Digest)] = []
            var records: [(Int64, ByteBuffer)] = []
            for (offset, event) in events.enumerated() {
                guard event.sequence.rawValue == end + 1 + UInt64(offset), event.envelope.timestamp.rawValue >= lastMicros else {
                    throw StoreError(.invalidArgument, "event \(event.sequence) is out of order in the copy")
                }
                lastMicros = event.envelope.timestamp.rawValue
                let record = event.recordBytes
                frontier.append(leafHash: MerkleHash.leaf(record)) { nodes.append(($0, $1)) }
                records.append((Int64(event.sequence.rawValue), ByteBuffer(bytes: record)))
            }
            try await connection.query("""
                INSERT INTO events (seq, record) SELECT * FROM unnest(\(records.map(\.0))::bigint[], \(records.map(\.1))::bytea[])
                """, logger: logger)
            try await connection.query("""
                INSERT INTO merkle (level, idx, hash) SELECT * FROM unnest(\(nodes.map { Int32($0.0.level) })::int[],
                \(nodes.map { Int64($0.0.index) })::bigint[], \(nodes.map { ByteBuffer(bytes: $0.1.bytes) })::bytea[])
                """, logger: logger)
            try await connection.query("UPDATE head SET seq = \(Int64(frontier.size)), last_micros = \(lastMicros) WHERE id = 1", logger: logger)
            try await connection.query("SELECT pg_notify(\(channel), \(String(frontier.size)))", logger: logger)
            return SequenceNumber(frontier.size)
        }
        notifier.publish(latest)
    }

    /// Stores files as another store held them: their bytes (nil when purged there), size, kind and
    /// reference count.
    public func importBlobs(_ blobs: [(info: BlobInfo, bytes: [UInt8]?)]) async throws {
        guard !blobs.isEmpty else { return }
        let frames = blobs.map { blob in blob.bytes.map { Zstd.compress($0, level: configuration.compressionLevel) } }
        _ = try await importing { connection in
            try await connection.query("""
                INSERT INTO blobs (hash, size, kind, refs, data)
                SELECT h, s, k, r, CASE WHEN n THEN d ELSE NULL END
                FROM unnest(\(blobs.map { ByteBuffer(bytes: $0.info.hash.bytes) })::bytea[], \(blobs.map { Int64($0.info.size) })::bigint[],
                            \(blobs.map(\.info.kind))::text[], \(blobs.map { Int64($0.info.references) })::bigint[],
                            \(frames.map { ByteBuffer(bytes: $0 ?? []) })::bytea[], \(frames.map { $0 != nil })::bool[]) AS t(h, s, k, r, d, n)
                ON CONFLICT (hash) DO UPDATE SET refs = EXCLUDED.refs, data = EXCLUDED.data
                """, logger: logger)
        }
    }

    /// Installs dictionaries another store had installed.
    public func importDictionaries(_ dictionaries: [[UInt8]]) async throws {
        guard !dictionaries.isEmpty else { return }
        let loaded = try dictionaries.map { bytes in
            do { return try ZstdDictionary(bytes: bytes) } catch { throw StoreError(.invalidArgument, "not a zstd dictionary: \(error)") }
        }
        _ = try await importing { connection in
            try await connection.query("""
                INSERT INTO dictionaries (id, bytes) SELECT * FROM unnest(\(loaded.map { Int64($0.id) })::bigint[], \(dictionaries.map { ByteBuffer(bytes: $0) })::bytea[])
                ON CONFLICT (id) DO NOTHING
                """, logger: logger)
        }
        for dictionary in loaded { self.dictionaries.insert(dictionary) }
    }

    /// Puts `entries` into `space` as they are.
    public func importEntries(_ entries: [KeyValue], in space: KeySpace) async throws {
        guard !entries.isEmpty else { return }
        guard keySpaces.contains(space) || KeySpace.builtIn.contains(space) else { throw StoreError(.unknownKeySpace, "\(space) was not declared") }
        _ = try await importing { connection in
            try await connection.query("""
                INSERT INTO kv (space, key, value) SELECT \(space.name), k, v FROM unnest(\(entries.map { ByteBuffer(bytes: $0.key) })::bytea[],
                \(entries.map { ByteBuffer(bytes: $0.value) })::bytea[]) AS t(k, v)
                ON CONFLICT (space, key) DO UPDATE SET value = EXCLUDED.value
                """, logger: logger)
        }
    }

    private func importing<R: Sendable>(_ body: (PostgresConnection) async throws -> R) async throws -> R {
        do {
            return try await database.transaction(logger: logger, body)
        } catch {
            throw PostgresErrors.map(error)
        }
    }
}
