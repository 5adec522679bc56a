import Foundation
public import Logging
import RenkeiCore
public import RenkeiModel
public import RenkeiLog
import RenkeiPostgres
public import RenkeiStore

/// Opens the platform's store as `renkei-server --store` names it: `lmdb`, the embedded store in
/// `data/store`, or a PostgreSQL URL (several servers over one database).
public enum PlatformStore {
    public static func open(_ store: String, data: URL, clock: @escaping @Sendable () -> Timestamp = { .now() },
                            logger: Logger) async throws(ProgramError) -> any EventStore {
        if store == "lmdb" {
            var configuration = lmdbConfiguration()
            configuration.clock = clock
            do {
                return try LMDBEventStore(path: data.appendingPathComponent("store").path, configuration: configuration)
            } catch let error as StoreError where error.code == .inUse {
                throw ProgramError(.folderBusy, "\(data.path): \(error) / 別の renkei-server がこのデータフォルダを使用中です")
            } catch {
                throw ProgramError(.storeFailed, "\(data.path)/store: \(error)")
            }
        }
        do {
            var configuration = try PostgresEventStore.Configuration(url: store)
            configuration.keySpaces = Platform.keySpaces
            configuration.clock = clock
            return try await PostgresEventStore.open(configuration, logger: logger)
        } catch {
            throw ProgramError(.storeFailed, "PostgreSQL \(PostgresEventStore.Configuration.redacted(store)): \(error)")
        }
    }

    /// The embedded store's settings for the platform: its key spaces, and a group-commit window of 1 ms.
    /// An upload spends about 0.2 ms of CPU on its checks before its write reaches the store, more while the
    /// cores are busy, so with the store's default (0.2 ms, for writers that bring their next write at once)
    /// the writer seldom waits long enough for the callers it expects: groups of 4–5 uploads at 16 callers,
    /// each paying a group's fixed costs (a sync, a write-ahead record, a change set, six projection markers).
    /// At 1 ms they are 2–3 times larger and an upload costs 7–10 % less CPU, at the same rate with 16 callers
    /// and 8 % more with 64 (`renkei-storebench uploads --group-commit-window`).
    public static func lmdbConfiguration() -> LMDBEventStore.Configuration {
        var configuration = LMDBEventStore.Configuration()
        configuration.keySpaces = Platform.keySpaces
        configuration.groupCommitWindow = .milliseconds(1)
        return configuration
    }
}
