import Foundation
import Logging
import PostgresNIO
import RenkeiPostgres
import RenkeiStore
import Synchronization
import Testing

/// The PostgreSQL store's writer loses its database session while its commit waits for the log's allocator
/// (another session holds the row; an operator or a fail-over ends the writer's session): the writes of that
/// batch fail with `unavailable` promptly — never left waiting — and the next write commits. Twenty rounds,
/// because whether the writer's next step meets the connection still open or already closed is a race.
@Suite(.timeLimit(.minutes(10))) struct LostSessionTests {
    @Test func aWriterWhoseSessionEndsWhileItWaitsFailsThatBatchAndWritesTheNext() async throws {
        let configuration = try StoreUnderTest.postgresConfiguration(schemaPrefix: "lost_")
        let store = try await PostgresEventStore.open(configuration)
        let server = configuration.hosts[0]
        let admin = PostgresClient(configuration: .init(host: server.host, port: server.port, username: configuration.username,
                                                        password: configuration.password, database: configuration.database, tls: .disable))
        let logger = Logger(label: "renkei.test")
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await admin.run() }
            defer { group.cancelAll() }
            for round in 0..<20 {
                try await admin.withConnection { holder in
                    try await holder.query("BEGIN", logger: logger)
                    try await holder.query(PostgresQuery(unsafeSQL: "SELECT 1 FROM \(configuration.schema).head FOR UPDATE"), logger: logger)
                    let waiting = Task { try await store.commit(StoreWrite(events: [event("round \(round)")])) }
                    // Until the writer waits for the row; then end its session.
                    let deadline = ContinuousClock.now + .seconds(60)
                    var ended = false
                    while !ended {
                        try #require(ContinuousClock.now < deadline, "round \(round): the writer never waited for the row")
                        for try await value in try await admin.query(PostgresQuery(unsafeSQL: """
                            SELECT coalesce(bool_or(pg_terminate_backend(pid)), false) FROM pg_stat_activity
                            WHERE application_name = 'renkei-\(configuration.schema)' AND wait_event_type = 'Lock'
                            """)).decode(Bool.self) { ended = value }
                    }
                    let answered = try #require(await Self.within(.seconds(30)) { await waiting.result },
                                                "round \(round): the write whose session ended was not answered within 30 s")
                    #expect((try? answered.get()) == nil, "round \(round): it failed")
                    if case .failure(let error as StoreError) = answered { #expect(error.code == .unavailable, "round \(round): \(error)") }
                    try await holder.query("COMMIT", logger: logger)
                }
                _ = try await store.commit(StoreWrite(events: [event("after \(round)")]))
            }
        }
        #expect(try await store.read { try await $0.latestSequence() }.rawValue == 20, "the twenty writes after the lost ones, nothing else")
        await store.close()
    }

    /// What `body` returns, or nil when it has not returned within `limit` (it is then left running: a
    /// wait that never ends cannot be cancelled).
    static func within<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async -> T) async -> T? {
        let first = FirstOnly()
        return await withCheckedContinuation { (continuation: CheckedContinuation<T?, Never>) in
            Task { @Sendable in let value = await body(); if first.claim() { continuation.resume(returning: value) } }
            Task { @Sendable in try? await Task.sleep(for: limit); if first.claim() { continuation.resume(returning: nil) } }
        }
    }
}

/// True for the first caller only.
final class FirstOnly: Sendable {
    private let taken = Atomic(false)
    func claim() -> Bool { taken.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged }
}
