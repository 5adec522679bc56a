import Logging
import PostgresNIO
import RenkeiModel
import RenkeiStore

/// The store's tables, created (or checked) when it opens, under a transaction-scoped advisory lock so
/// that several nodes opening at once create them once.
///
/// - `meta`: the store's identity and schema version.
/// - `head`: one row, the allocator: the log's end and the last commit time; every commit locks it.
/// - `events`: each event's canonical record (`EventRecord`), by sequence.
/// - `merkle`: the perfect nodes of the RFC 9162 tree, by (level, index).
/// - `blobs`: files by SHA-256 — size, kind, references and the zstd frame (NULL once purged).
/// - `dictionaries`: installed zstd dictionaries, by id.
/// - `kv`: every key space's entries, by (space, key); bytea keys compare byte by byte, as the protocol wants.
enum PostgresSchema {
    static let statements: [PostgresQuery] = [
        "CREATE TABLE IF NOT EXISTS meta (name text PRIMARY KEY, value text NOT NULL)",
        "CREATE TABLE IF NOT EXISTS head (id int PRIMARY KEY CHECK (id = 1), seq bigint NOT NULL, last_micros bigint NOT NULL)",
        "INSERT INTO head VALUES (1, 0, -9223372036854775808) ON CONFLICT (id) DO NOTHING",
        "CREATE TABLE IF NOT EXISTS events (seq bigint PRIMARY KEY, record bytea NOT NULL)",
        "CREATE TABLE IF NOT EXISTS merkle (level int NOT NULL, idx bigint NOT NULL, hash bytea NOT NULL, PRIMARY KEY (level, idx))",
        "CREATE TABLE IF NOT EXISTS blobs (hash bytea PRIMARY KEY, size bigint NOT NULL, kind text NOT NULL, refs bigint NOT NULL, data bytea)",
        "CREATE TABLE IF NOT EXISTS dictionaries (id bigint PRIMARY KEY, bytes bytea NOT NULL)",
        "CREATE TABLE IF NOT EXISTS kv (space text NOT NULL, key bytea NOT NULL, value bytea NOT NULL, PRIMARY KEY (space, key))",
    ]

    /// Creates the schema's tables if they are missing, records or checks the identity and version, and
    /// returns the identity and the log's end.
    static func prepare(_ database: PostgresDatabase, schema: String, logger: Logger) async throws -> (StoreIdentity, SequenceNumber) {
        try await database.transaction(logger: logger) { connection in
            // One lock per schema name (its hash), held to the end of this transaction.
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(schema)))", logger: logger)
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \"\(schema)\""), logger: logger)
            for statement in statements { try await connection.query(statement, logger: logger) }
            var meta: [String: String] = [:]
            for try await (name, value) in try await connection.query("SELECT name, value FROM meta", logger: logger).decode((String, String).self) {
                meta[name] = value
            }
            let identity: StoreIdentity
            if let id = meta["id"], let created = meta["created"].flatMap(Int64.init), let version = meta["schema_version"].flatMap(Int.init),
               let format = meta["record_format"].flatMap(Int.init) {
                guard version == PostgresEventStore.schemaVersion, format == Int(EventRecord.format) else {
                    throw StoreError(.unsupportedFormat, "schema \(schema) is version \(version) with records of format \(format); this program reads version \(PostgresEventStore.schemaVersion), format \(EventRecord.format)")
                }
                identity = StoreIdentity(id: id, created: Timestamp(rawValue: created), engine: "postgresql", format: format)
            } else {
                guard meta.isEmpty else { throw StoreError(.missingData, "schema \(schema) has an incomplete identity: \(meta.keys.sorted())") }
                identity = .new(engine: "postgresql", format: Int(EventRecord.format))
                for (name, value) in [("id", identity.id), ("created", String(identity.created.rawValue)),
                                      ("schema_version", String(PostgresEventStore.schemaVersion)), ("record_format", String(EventRecord.format))] {
                    try await connection.query("INSERT INTO meta VALUES (\(name), \(value))", logger: logger)
                }
            }
            var latest = SequenceNumber.zero
            for try await seq in try await connection.query("SELECT seq FROM head WHERE id = 1", logger: logger).decode(Int64.self) {
                latest = SequenceNumber(UInt64(seq))
            }
            return (identity, latest)
        }
    }
}

/// PostgreSQL's errors as the store's codes.
enum PostgresErrors {
    /// Whether `error` may mean that the database session is over: the connection failed or closed, or the
    /// server ended the session (FATAL, PANIC) — or, mapped already, the store found the server unavailable.
    static func mayHaveEndedSession(_ error: any Error) -> Bool {
        switch error {
        case let error as PSQLError:
            guard error.code == .server else { return true }
            return ["FATAL", "PANIC"].contains(error.serverInfo?[.severity] ?? "")
        case let error as StoreError: return error.code == .unavailable
        default: return false
        }
    }

    static func map(_ error: any Error) -> any Error {
        switch error {
        case let error as PSQLError:
            switch error.code {
            case .server:
                let state = error.serverInfo?[.sqlState] ?? ""
                let message = error.serverInfo?[.message] ?? ""
                switch state {
                case "53100": return StoreError(.storageFull, "PostgreSQL: \(message)")
                case "53200", "53300", "57P03": return StoreError(.unavailable, "PostgreSQL \(state): \(message)")
                case let state where state.hasPrefix("08") || state.hasPrefix("57P"):
                    return StoreError(.unavailable, "PostgreSQL \(state): \(message)")
                default: return StoreError(.ioFailure, "PostgreSQL \(state): \(message)")
                }
            default:
                return StoreError(.unavailable, "PostgreSQL: \(error.code)")
            }
        case is PostgresDecodingError:
            return StoreError(.corrupt, "PostgreSQL returned what the store did not write: \(String(describing: error).prefix(300))")
        case let error where String(reflecting: type(of: error)).contains("ConnectionPool"):
            // postgres-nio's pool: no connection could be made or leased (the server is down or restarting).
            return StoreError(.unavailable, "PostgreSQL: \(String(describing: error).prefix(300))")
        default:
            // The caller's own error (a decision that refused, inside a snapshot): unchanged.
            return error
        }
    }
}
