import Foundation
public import Logging
import RenkeiCore
public import RenkeiModel
import RenkeiLog
import RenkeiPostgres
public import RenkeiStore

/// Opens the platform's store as `renkei-server --store` names it: `lmdb`, the embedded store in
/// `data/store`, or a PostgreSQL URL (several servers over one database).
public enum PlatformStore {
    public static func open(_ store: String, data: URL, clock: @escaping @Sendable () -> Timestamp = { .now() },
                            logger: Logger) async throws(ProgramError) -> any EventStore {
        if store == "lmdb" {
            var configuration = LMDBEventStore.Configuration()
            configuration.keySpaces = Platform.keySpaces
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
}
