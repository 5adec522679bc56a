import Logging
import PostgresNIO
import RenkeiStore
import Synchronization

/// The connections to the database, and to the next server when the one in use goes away. The store's URL
/// may list several servers (`postgres://user@primary:5432,standby:5432/db`): the store uses the first that
/// accepts writes (`pg_is_in_recovery()` false). When a call finds the server unreachable it fails with
/// `StoreError.Code.unavailable` (the caller may retry) and, with more than one server listed, the store
/// looks for a writable one in the background — a standby promoted after the primary died — and switches
/// every later call to it.
final class PostgresDatabase: Sendable {
    private struct Current {
        var client: PostgresClient
        var running: Task<Void, Never>
        var host: Int
    }

    let hosts: [(host: String, port: Int)]
    private let configuration: PostgresEventStore.Configuration
    private let logger: Logger
    private let current: Mutex<Current?> = Mutex(nil)
    private let switching: Mutex<Task<Void, Never>?> = Mutex(nil)
    private let closed = ClosedFlag()

    init(configuration: PostgresEventStore.Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        hosts = configuration.hosts
    }

    /// Connects to the first writable server listed (trying each once).
    func connect() async throws {
        guard let found = await findWritable() else {
            throw StoreError(.unavailable, "no writable PostgreSQL server among \(hosts.map { "\($0.host):\($0.port)" }.joined(separator: ", "))")
        }
        current.withLock { $0 = found }
    }

    /// The client in use.
    var client: PostgresClient {
        get throws {
            guard let client = current.withLock({ $0?.client }) else { throw StoreError(.closed, "the store is closed") }
            return client
        }
    }

    /// Leases a connection for `body`; a server found unreachable starts the search for another one.
    func withConnection<R>(_ body: (PostgresConnection) async throws -> R) async throws -> R {
        let client = try self.client
        do {
            return try await client.withConnection(body)
        } catch {
            let mapped = PostgresErrors.map(error)
            if (mapped as? StoreError)?.code == .unavailable { failOver(from: client) }
            throw mapped
        }
    }

    /// Runs `body` in a transaction begun by `begin` on one leased connection: committed when it returns,
    /// rolled back when it throws.
    func transaction<R>(_ begin: PostgresQuery = "BEGIN", logger: Logger, _ body: (PostgresConnection) async throws -> R) async throws -> R {
        try await withConnection { connection in
            guard !connection.isClosed else { throw StoreError(.unavailable, "PostgreSQL: the connection closed") }
            try await connection.query(begin, logger: logger)
            do {
                let result = try await body(connection)
                try await connection.query("COMMIT", logger: logger)
                return result
            } catch {
                if PostgresErrors.mayHaveEndedSession(error) || connection.isClosed {
                    // No ROLLBACK on a session that may be gone: postgres-nio leaves a query sent on a connection
                    // that has just closed waiting for ever (its fix, vapor/postgres-nio#487, was reverted in #501),
                    // and the writer would wait with it. Closing ends whatever transaction is left; the pool opens
                    // another connection.
                    try? await connection.close()
                } else {
                    _ = try? await connection.query("ROLLBACK", logger: logger)
                }
                throw error
            }
        }
    }

    func close() async {
        guard closed.set() else { return }
        switching.withLock { $0 }?.cancel()
        let last = current.withLock { current in
            defer { current = nil }
            return current
        }
        last?.running.cancel()
        await last?.running.value
    }

    /// Looks for a writable server in the background (once at a time), for up to two minutes.
    private func failOver(from failed: PostgresClient) {
        guard hosts.count > 1, !closed.isSet else { return }
        switching.withLock { task in
            guard task == nil else { return }
            task = Task { [self] in
                defer { switching.withLock { $0 = nil } }
                let deadline = ContinuousClock.now + .seconds(120)
                while !Task.isCancelled, !closed.isSet, ContinuousClock.now < deadline {
                    guard current.withLock({ $0?.client === failed }) else { return }
                    if let found = await findWritable() {
                        let old = current.withLock { current in
                            defer { current = found }
                            return current
                        }
                        logger.warning("PostgreSQL: now writing to \(hosts[found.host].host):\(hosts[found.host].port)")
                        old?.running.cancel()
                        return
                    }
                    // The standby may not be promoted yet: look again shortly.
                    try? await Task.sleep(for: .milliseconds(500))
                }
            }
        }
    }

    /// A running client for the first listed server that answers and accepts writes.
    private func findWritable() async -> Current? {
        for (index, host) in hosts.enumerated() {
            let client = makeClient(host)
            let running = Task { await client.run() }
            do {
                var inRecovery = true
                for try await value in try await client.query("SELECT pg_is_in_recovery()", logger: logger).decode(Bool.self) { inRecovery = value }
                if !inRecovery { return Current(client: client, running: running, host: index) }
            } catch {
                logger.debug("PostgreSQL \(host.host):\(host.port) is not usable: \(error)")
            }
            running.cancel()
        }
        return nil
    }

    private func makeClient(_ host: (host: String, port: Int)) -> PostgresClient {
        var options = PostgresClient.Configuration.Options()
        options.maximumConnections = configuration.maximumConnections
        options.connectTimeout = .seconds(5)
        // The schema for every statement; a name operators can find the store's sessions by (pg_stat_activity).
        options.additionalStartupParameters = [("search_path", configuration.schema), ("application_name", "renkei-\(configuration.schema)")]
        var clientConfiguration = PostgresClient.Configuration(host: host.host, port: host.port, username: configuration.username,
                                                               password: configuration.password, database: configuration.database, tls: .disable)
        clientConfiguration.options = options
        return PostgresClient(configuration: clientConfiguration, backgroundLogger: logger)
    }
}
