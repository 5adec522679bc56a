import Foundation
public import Logging
import PostgresNIO
import RenkeiCrypto
import RenkeiMerkle
public import RenkeiModel
public import RenkeiStore
import RenkeiZstd
import Synchronization

/// The storage protocol on PostgreSQL 15, for several servers over one database (DESIGN.md, "Beyond one
/// machine"). Every node's writes go through one allocator row (`head`, locked for the length of each
/// commit), so the log has one order and dense sequences from 1 whichever node appends; a node groups its
/// own concurrent writes into one transaction; every commit is synchronous (PostgreSQL's
/// `synchronous_commit`, and with a synchronous standby, on both machines before it returns). Tails on
/// every node are woken by LISTEN/NOTIFY, with a read of the log's end whenever the listening connection
/// (re)starts, so a missed notification loses nothing.
///
/// The tables live in their own schema (`Configuration.schema`), created and migrated by the store
/// itself, its version recorded in `meta`. Events are stored as their canonical records; files as zstd
/// frames (with the installed dictionary of their kind), once per content.
public final class PostgresEventStore: EventStore {
    /// Where the database is and how the store uses it.
    public struct Configuration: Sendable {
        /// The servers, in order of preference: the store writes to the first that accepts writes, and
        /// moves to another when that one goes away (a standby promoted).
        public var hosts: [(host: String, port: Int)] = [("127.0.0.1", 5432)]
        public var username = "postgres"
        public var password: String?
        public var database = "postgres"
        /// The schema holding the store's tables: lower-case letters, digits and `_`, at most 40.
        public var schema = "renkei"
        /// The key spaces the domain declares (besides `KeySpace.builtIn`).
        public var keySpaces: [KeySpace] = []
        public var limits = StoreLimits()
        public var compressionLevel: Int32 = Zstd.defaultLevel
        /// Gives commit times (the writer never lets them go backwards, across nodes too).
        public var clock: @Sendable () -> Timestamp = { .now() }
        /// Connections this node keeps to the database (one of them listens for other nodes' commits).
        public var maximumConnections = 8
        /// The most writes one transaction carries.
        public var maximumBatch = 64

        public init() {}

        /// `url` without its password, for messages and logs.
        public static func redacted(_ url: String) -> String {
            guard let parts = URLParts(url), parts.password != nil else { return String(url.prefix(200)) }
            return "\(parts.scheme)://\(parts.user ?? "")@\(parts.hosts.map { "\($0.host):\($0.port)" }.joined(separator: ","))/\(parts.path ?? "")"
        }

        /// From a URL: `postgres://user[:password]@host[:port][,host2[:port2]…]/database[?schema=name]`.
        public init(url: String) throws {
            guard let components = URLParts(url), ["postgres", "postgresql"].contains(components.scheme) else {
                throw StoreError(.invalidArgument, "not a postgres:// URL: \(url.prefix(200))")
            }
            self.init()
            hosts = components.hosts
            if let user = components.user { username = user }
            password = components.password
            if let name = components.path, !name.isEmpty { database = name }
            if let schema = components.query["schema"] { self.schema = schema }
        }
    }

    /// The schema format this code creates and reads.
    public static let schemaVersion = 1

    public let identity: StoreIdentity
    public let keySpaces: [KeySpace]
    let configuration: Configuration
    let database: PostgresDatabase
    let logger: Logger
    let declared: Set<KeySpace>
    let notifier: CommitNotifier
    let dictionaries: DictionaryCache
    private let writer: PostgresWriter
    private let listening: Mutex<Task<Void, Never>?> = Mutex(nil)
    private let closed = ClosedFlag()

    /// Opens the store in `configuration.schema`, creating its tables when the schema has none.
    ///
    /// - Throws: `StoreError` `.unavailable` (no database), `.unsupportedFormat` (a schema of another
    ///   version), `.invalidArgument` (a bad schema name).
    public static func open(_ configuration: Configuration, logger: Logger = Logger(label: "renkei.postgres")) async throws -> PostgresEventStore {
        guard configuration.schema.utf8.count <= 40, let first = configuration.schema.utf8.first, (0x61...0x7A).contains(first) || first == 0x5F,
              configuration.schema.utf8.allSatisfy({ (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F }) else {
            throw StoreError(.invalidArgument, "schema name \(configuration.schema.prefix(60)): lower-case letters, digits and _, at most 40")
        }
        let database = PostgresDatabase(configuration: configuration, logger: logger)
        do {
            try await database.connect()
            let (identity, latest) = try await PostgresSchema.prepare(database, schema: configuration.schema, logger: logger)
            let store = PostgresEventStore(configuration: configuration, database: database, identity: identity, latest: latest, logger: logger)
            try await store.dictionaries.load(from: database, logger: logger)
            store.startListening()
            return store
        } catch {
            await database.close()
            throw PostgresErrors.map(error)
        }
    }

    private init(configuration: Configuration, database: PostgresDatabase, identity: StoreIdentity, latest: SequenceNumber, logger: Logger) {
        self.configuration = configuration
        self.database = database
        self.identity = identity
        self.logger = logger
        keySpaces = configuration.keySpaces
        declared = Set(configuration.keySpaces)
        notifier = CommitNotifier(latest: latest)
        dictionaries = DictionaryCache()
        writer = PostgresWriter(database: database, configuration: configuration, declared: declared, notifier: notifier,
                                dictionaries: dictionaries, logger: logger)
    }

    public var latestSequence: SequenceNumber { notifier.latest }

    public func prepareBlob(_ bytes: [UInt8], kind: String, dictionaryID: UInt32?) throws -> PreparedBlob {
        try PreparedBlob.validate(kind: kind)
        guard bytes.count <= configuration.limits.maximumBlobSize else {
            throw StoreError(.tooLarge, "a file of \(bytes.count) bytes; at most \(configuration.limits.maximumBlobSize)")
        }
        var dictionary: ZstdDictionary?
        if let dictionaryID {
            guard let found = dictionaries.dictionary(id: dictionaryID) else { throw StoreError(.unknownDictionary, "dictionary \(dictionaryID)") }
            dictionary = found
        }
        let frame = Zstd.compress(bytes, level: configuration.compressionLevel, dictionary: dictionary)
        return PreparedBlob(hash: SHA256.hash(bytes), size: bytes.count, kind: kind, dictionaryID: dictionaryID, stored: frame)
    }

    public func commit(_ write: StoreWrite) async throws -> CommitReceipt {
        guard !closed.isSet else { throw StoreError(.closed, "no more writes are accepted") }
        let size = try write.validate(limits: configuration.limits, keySpaces: declared)
        var installed: [(UInt32, [UInt8])] = []
        for bytes in write.dictionaries {
            do { installed.append((try ZstdDictionary(bytes: bytes).id, bytes)) } catch {
                throw StoreError(.invalidArgument, "not a zstd dictionary: \(error)")
            }
        }
        return try await writer.submit(write, dictionaries: installed, size: size)
    }

    public func read<R: Sendable>(_ body: (any StoreSnapshot) async throws -> R) async throws -> R {
        guard !closed.isSet else { throw StoreError(.closed, "the store is closed") }
        do {
            return try await database.transaction("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: logger) { connection in
                try await body(PostgresSnapshot(connection: connection, store: self))
            }
        } catch {
            throw PostgresErrors.map(error)
        }
    }

    public func tail(after position: SequenceNumber) -> CommittedSequences {
        CommittedSequences(after: position, notifier: notifier)
    }

    public func close() async {
        guard closed.set() else { return }
        await writer.close()
        listening.withLock { $0 }?.cancel()
        notifier.close()
        await database.close()
    }

    /// The channel commits are announced on (one per schema, so that stores in one database do not wake
    /// each other's tails).
    var channel: String { "renkei_commits_\(configuration.schema)" }

    /// Listens for other nodes' commits on a connection of its own, for as long as the store is open;
    /// each time listening (re)starts it reads the log's end, so nothing committed meanwhile is missed.
    private func startListening() {
        let task = Task { [database, notifier, channel, logger, closed] in
            while !Task.isCancelled && !closed.isSet {
                do {
                    try await database.withConnection { connection in
                        try await connection.listen(on: channel) { notifications in
                            for try await row in try await connection.query("SELECT seq FROM head WHERE id = 1", logger: logger).decode(Int64.self) {
                                notifier.publish(SequenceNumber(UInt64(row)))
                            }
                            for try await notification in notifications {
                                if let sequence = UInt64(notification.payload) { notifier.publish(SequenceNumber(sequence)) }
                            }
                        }
                    }
                } catch {
                    if Task.isCancelled || closed.isSet { return }
                    logger.warning("listening for commits failed; listening again in 1 s", metadata: ["error": "\(String(reflecting: error).prefix(300))"])
                }
                try? await Task.sleep(for: .seconds(1))
            }
        }
        listening.withLock { $0 = task }
    }
}

/// Whether the store was closed (shared with its listening task).
final class ClosedFlag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .acquiring) }
    /// Sets the flag; false if it was set already.
    func set() -> Bool { !value.exchange(true, ordering: .acquiringAndReleasing) }
}

/// The zstd dictionaries installed in the store, by id; loaded at open, added to as this node installs
/// them, and looked up in the database when another node installed one this node has not seen.
final class DictionaryCache: ZstdDictionaryProvider, Sendable {
    private let byID = Mutex<[UInt32: ZstdDictionary]>([:])

    func dictionary(id: UInt32) -> ZstdDictionary? { byID.withLock { $0[id] } }

    func insert(_ dictionary: ZstdDictionary) { byID.withLock { $0[dictionary.id] = dictionary } }

    func load(from database: PostgresDatabase, logger: Logger) async throws {
        let rows = try await database.withConnection { connection in
            var rows: [(Int64, [UInt8])] = []
            for try await (id, bytes) in try await connection.query("SELECT id, bytes FROM dictionaries", logger: logger).decode((Int64, ByteBuffer).self) {
                rows.append((id, Array(bytes.readableBytesView)))
            }
            return rows
        }
        for (id, bytes) in rows {
            do { insert(try ZstdDictionary(bytes: bytes)) } catch {
                throw StoreError(.corrupt, "dictionary \(id) does not load: \(error)")
            }
        }
    }
}

/// The parts of a postgres:// URL the store uses.
struct URLParts {
    var scheme: String
    var user: String?
    var password: String?
    var hosts: [(host: String, port: Int)] = []
    var path: String?
    var query: [String: String] = [:]

    init?(_ text: String) {
        guard text.utf8.count <= 2048, let schemeEnd = text.range(of: "://") else { return nil }
        scheme = String(text[..<schemeEnd.lowerBound]).lowercased()
        var rest = Substring(text[schemeEnd.upperBound...])
        if let mark = rest.firstIndex(of: "?") {
            for pair in rest[rest.index(after: mark)...].split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                query[String(parts[0]).removingPercentEncoding ?? String(parts[0])] = parts.count > 1 ? String(parts[1]).removingPercentEncoding : ""
            }
            rest = rest[..<mark]
        }
        if let slash = rest.firstIndex(of: "/") {
            path = String(rest[rest.index(after: slash)...]).removingPercentEncoding
            rest = rest[..<slash]
        }
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at].split(separator: ":", maxSplits: 1)
            user = credentials.first.map { String($0).removingPercentEncoding ?? String($0) }
            password = credentials.count > 1 ? (String(credentials[1]).removingPercentEncoding ?? String(credentials[1])) : nil
            rest = rest[rest.index(after: at)...]
        }
        for server in rest.split(separator: ",", omittingEmptySubsequences: false) {
            var name = server, port = 5432
            if let colon = server.lastIndex(of: ":") {
                guard let number = Int(server[server.index(after: colon)...]), (1...65535).contains(number) else { return nil }
                port = number
                name = server[..<colon]
            }
            guard !name.isEmpty else { return nil }
            hosts.append((String(name), port))
        }
        guard !hosts.isEmpty, hosts.count <= 8 else { return nil }
    }
}
