import Foundation
import RenkeiLMDB
public import RenkeiModel
public import RenkeiStore

/// A read-only open of a data folder, also one that a running server is writing: for an auditor's or an
/// operator's tools (verify, export, inspect). It takes no writer lock and writes nothing.
///
/// Snapshots see what the writer's checkpoints have moved into LMDB before they began: the writer's
/// acknowledged work up to its last checkpoint (at most `checkpointInterval` behind, a second by default);
/// work only in the writer's write-ahead log is not read, so every snapshot is a whole, durable state.
public final class LMDBStoreReader: Sendable {
    /// The store's identity.
    public let identity: StoreIdentity
    let store: LogStore

    /// Opens the store in `path` read-only; `keySpaces` are those to read (they must exist).
    public init(path: String, keySpaces: [KeySpace] = []) throws {
        guard let marker = try StoreMarker.read(folder: path) else {
            throw StoreError(.missingData, "\(path) holds no Renkei store (no \(StoreMarker.fileName))")
        }
        try LMDBEventStore.requireData(in: path, for: marker)
        var settings = Environment.Configuration()
        settings.readOnly = true
        settings.maximumDatabases = 8 + keySpaces.count + KeySpace.builtIn.count
        do {
            let environment = try Environment(path: path, configuration: settings)
            let meta = try environment.database(named: "meta")
            guard let identity = try environment.read({ txn in try LMDBEventStore.readIdentity(txn, meta: meta) }), identity.id == marker.identity.id else {
                throw StoreError(.missingData, "\(path)/data.mdb does not hold store \(marker.identity.id)")
            }
            self.identity = identity
            store = try LogStore(environment: environment, keySpaces: keySpaces)
        } catch {
            throw storeError(error)
        }
    }

    /// Closes it.
    public func close() { store.environment.close() }

    /// The last committed sequence now.
    public func latestSequence() throws -> SequenceNumber {
        do { return try store.environment.read { txn in try lastSequence(txn, store) } } catch { throw storeError(error) }
    }

    /// Runs `body` with a snapshot of the store as last committed.
    public func read<R: Sendable>(_ body: (any StoreSnapshot) async throws -> R) async throws -> R {
        do {
            return try await store.environment.readAsync { txn in
                try await body(LMDBSnapshot(view: StoreView(transaction: txn, store: store, published: [])))
            }
        } catch {
            throw storeError(error)
        }
    }

    /// Checks the log as it is now (see `LMDBEventStore.verify`).
    public func verify(progress: ((UInt64, UInt64) -> Void)? = nil) throws -> LogVerification {
        do { return try store.verify(progress: progress) } catch { throw storeError(error) }
    }

    /// A hot, compacted copy of what this open sees (LMDB's copy in one read transaction) into the empty
    /// or missing folder `destination`, which opens as a store of its own. A live writer's acknowledged
    /// work that is only in its write-ahead log (at most a checkpoint interval) is not in the copy; use
    /// `LMDBEventStore.backup` on a store no server holds to include everything.
    public func backup(to destination: String, writeAheadLogSize: Int = LMDBEventStore.Configuration().writeAheadLogSize) throws {
        do {
            let latest = try latestSequence()
            try store.environment.copy(to: destination, compact: true)
            try WriteAheadLog.createZeroFilled(folder: destination, capacity: UInt64(writeAheadLogSize))
            try StoreMarker(identity: identity, eventsAtLeast: latest.rawValue).write(folder: destination)
        } catch {
            throw storeError(error)
        }
    }
}
