import Foundation
import RenkeiCrypto
import RenkeiLMDB
public import RenkeiModel
public import RenkeiStore
import RenkeiZstd
import Synchronization

/// The embedded store: the storage protocol on one LMDB environment in a data folder — the event log,
/// content-addressed files, the RFC 9162 Merkle tree, zstd dictionaries and the declared key spaces, so
/// that one write covers an upload's events and the projections folded from them.
///
/// Writes go through one writer thread with group commit: many callers' writes become one record of the
/// write-ahead log (`wal`) and one `fdatasync`; a refused write drops only its own changes while the rest
/// of its batch commits. Acknowledged changes are visible to every later snapshot at once, layered over
/// LMDB, and a checkpointer thread moves them into LMDB in large durable commits. Reads run anywhere,
/// each at one snapshot.
/// Only one store may have a data folder open for writing at a time, across processes (`writer.lock`);
/// `LMDBStoreReader` reads a folder another process is writing.
public final class LMDBEventStore: EventStore {
    /// Settings, with defaults for a platform store. There is no way to open the store without syncing
    /// each group: an acknowledged write is on disk.
    public struct Configuration: Sendable {
        /// The key spaces to open beside the log, for the domain's projections.
        public var keySpaces: [KeySpace] = []
        /// Bounds on bodies, files, values and writes (the same on every engine).
        public var limits = StoreLimits()
        /// The LMDB map's size: the most the data file can ever hold. Address space only (the file is
        /// sparse and grows as pages are written); the map is never resized while open.
        public var mapSize = 1 << 40
        /// The most read transactions open at once, across processes.
        public var maximumReaders = 1024
        /// The zstd level for files.
        public var compressionLevel: Int32 = Zstd.defaultLevel
        /// The zstd level for event bodies.
        public var bodyCompressionLevel: Int32 = Zstd.bodyLevel
        /// The most writes the writer commits in one transaction.
        public var maximumBatchSize = 1024
        /// The most bytes of writes in one transaction (one larger write still commits alone).
        public var maximumBatchBytes = 64 << 20
        /// The most bytes of writes queued for the writer or being committed; more callers wait.
        public var maximumQueuedBytes = 512 << 20
        /// How long the writer may wait for callers active at the last commit to join the next one.
        public var groupCommitWindow: Duration = .microseconds(200)
        /// The write-ahead log's size in bytes, allocated (zero-filled) when the store is created: how
        /// much acknowledged work may wait for a checkpoint. A group larger than a quarter of it goes to
        /// LMDB directly. A multiple of 4096, at least 16384.
        public var writeAheadLogSize = 256 << 20
        /// How often the checkpointer moves acknowledged work into LMDB while any waits (it also does when
        /// a quarter of the write-ahead log is in use).
        public var checkpointInterval: Duration = .seconds(1)
        /// How many events may be appended before the identity file records the log's length again.
        public var identityInterval: UInt64 = 65_536
        /// Commit times come from here (the writer never lets them go backwards).
        public var clock: @Sendable () -> Timestamp = { .now() }

        /// The defaults.
        public init() {}
    }

    public let identity: StoreIdentity
    public let keySpaces: [KeySpace]
    /// The settings it was opened with.
    public let configuration: Configuration
    let store: LogStore
    let notifier: CommitNotifier
    let writer: LogWriter
    let checkpointer: Checkpointer
    /// What opening the store recovered from the write-ahead log.
    public let recovery: RecoveryReport
    private let admission: WriteAdmission
    private let declared: Set<KeySpace>
    private let isClosed = Atomic<Bool>(false)

    /// Opens the store in the folder `path`, creating it if the folder holds none.
    ///
    /// Reopening after a crash applies to LMDB the acknowledged groups that only the write-ahead log
    /// holds (bounded by the log's size; `recovery` says how much and how long it took).
    /// - Throws: `StoreError` — `.inUse` (another process writes the folder), `.missingData` (the folder's
    ///   identity file records a store whose data file is missing, empty or shorter), `.unsupportedFormat`
    ///   (a store of another format), `.storageFull`, `.ioFailure`.
    public init(path: String, configuration: Configuration = Configuration()) throws {
        let lock = try WriterLockFile(folder: path)
        let marker = try StoreMarker.read(folder: path)
        if let marker { try Self.requireData(in: path, for: marker) }
        var settings = Environment.Configuration()
        settings.maximumDatabases = 8 + configuration.keySpaces.count + KeySpace.builtIn.count
        settings.mapSize = configuration.mapSize
        settings.maximumReaders = configuration.maximumReaders
        let environment: Environment
        let store: LogStore
        let state: WriterState
        let wal: WriteAheadLog
        let checkpoint: WALCheckpoint
        do {
            environment = try Environment(path: path, configuration: settings)
            identity = try Self.establishIdentity(environment, marker: marker)
            store = try LogStore(environment: environment, keySpaces: configuration.keySpaces)
            let recovered = try Self.recover(store, folder: path, walSize: UInt64(configuration.writeAheadLogSize))
            (wal, checkpoint) = (recovered.0, recovered.1)
            recovery = recovered.2
            state = try environment.read { txn in try WriterState.load(StoreView(transaction: txn, store: store, published: [])) }
        } catch {
            throw storeError(error)
        }
        if let marker, state.latest.rawValue < marker.eventsAtLeast {
            throw StoreError(.missingData, "the log in \(path) ends at event \(state.latest), but store \(marker.identity.id) recorded at least \(marker.eventsAtLeast) events: restore the data folder from a backup")
        }
        let identity = identity
        try StoreMarker(identity: identity, eventsAtLeast: state.latest.rawValue).write(folder: path)

        self.configuration = configuration
        self.keySpaces = configuration.keySpaces
        self.store = store
        declared = Set(configuration.keySpaces)
        notifier = CommitNotifier(latest: state.latest)
        admission = WriteAdmission(capacity: max(configuration.maximumQueuedBytes, configuration.limits.maximumWriteSize))
        let checkpointer = Checkpointer(
            store: store, capacity: wal.capacity, applied: checkpoint, head: checkpoint.position.offset,
            settings: .init(triggerBytes: wal.capacity / 4, interval: configuration.checkpointInterval.seconds)
        )
        self.checkpointer = checkpointer
        let interval = max(1, configuration.identityInterval)
        let recorded = Atomic<UInt64>(state.latest.rawValue)
        writer = LogWriter(
            store: store,
            applier: WriteApplier(store: store, limits: configuration.limits, clock: configuration.clock),
            state: state,
            wal: wal,
            checkpointer: checkpointer,
            walHead: checkpoint.position,
            nextGroup: checkpoint.group + 1,
            notifier: notifier,
            admission: admission,
            settings: .init(
                maximumBatchSize: max(1, configuration.maximumBatchSize),
                maximumBatchBytes: configuration.maximumBatchBytes,
                groupCommitWindow: configuration.groupCommitWindow.seconds
            ),
            afterCommit: { latest in
                // The identity file follows the log at a distance (a failure here is retried next time).
                if latest.rawValue >= recorded.load(ordering: .relaxed) + interval,
                   (try? StoreMarker(identity: identity, eventsAtLeast: latest.rawValue).write(folder: path)) != nil {
                    recorded.store(latest.rawValue, ordering: .relaxed)
                }
            },
            onStopped: {
                // Everything acknowledged goes into LMDB, so a closed store's data file is whole by itself.
                checkpointer.stop()
                let latest = (try? environment.read { txn in try lastSequence(txn, store) }) ?? .zero
                if latest.rawValue > recorded.load(ordering: .relaxed) {
                    try? StoreMarker(identity: identity, eventsAtLeast: latest.rawValue).write(folder: path)
                }
                environment.close()
                lock.release()
            }
        )
    }

    /// Opens (or creates) the write-ahead log and applies to LMDB every whole group record after the
    /// position LMDB holds: the acknowledged work a crash left only in the log. Reading stops at the first
    /// record that is not whole and next in line (see `WriteAheadLog`). Records are applied as they are
    /// read, in durable commits of about 64 MiB, each recording how far it got, so memory stays bounded and
    /// a crash during recovery resumes where the last of those commits ended.
    static func recover(_ store: LogStore, folder: String, walSize: UInt64) throws -> (WriteAheadLog, WALCheckpoint, RecoveryReport) {
        let started = ContinuousClock.now
        let environment = store.environment
        let hasLog = try environment.read { txn in try txn.get(store.meta, key: WALCheckpoint.key) != nil }
        var checkpoint = try environment.read { txn in try WALCheckpoint.read(txn, store) }
        var wal = try WriteAheadLog(folder: folder, capacity: walSize, create: !hasLog)
        if !hasLog { try environment.write { txn in try checkpoint.write(txn, store) } }
        var databases = store.tablesByName
        var groups = 0, bytes = 0
        while true {
            var chunkGroups = 0, chunkBytes = 0
            var unknown: String?
            do {
                try environment.write { txn in
                    let (end, last) = try wal.scan(from: checkpoint.position, after: checkpoint.group, maximumBytes: 64 << 20) { _, payload, _ in
                        for (name, changes) in try GroupPayload.decode(payload) {
                            guard let database = databases[name] else {
                                unknown = name
                                throw StoreError(.unknownKeySpace, name)
                            }
                            try store.apply(FrozenTable(changes), to: database, txn)
                        }
                        chunkGroups += 1
                        chunkBytes += payload.count
                    }
                    if chunkGroups > 0 { try WALCheckpoint(position: end, group: last).write(txn, store) }
                }
            } catch where unknown != nil {
                // A table this open did not declare (a key space of another configuration): open it, retry.
                databases[unknown!] = try environment.database(named: unknown!)
                continue
            }
            guard chunkGroups > 0 else { break }
            checkpoint = try environment.read { txn in try WALCheckpoint.read(txn, store) }
            groups += chunkGroups
            bytes += chunkBytes
        }
        if wal.capacity != walSize {
            // Everything is in LMDB now: the log may take its configured size.
            try WriteAheadLog.createZeroFilled(folder: folder, capacity: walSize)
            wal = try WriteAheadLog(folder: folder, capacity: walSize, create: false)
        }
        return (wal, checkpoint, RecoveryReport(groups: groups, bytes: bytes, duration: ContinuousClock.now - started))
    }

    deinit { closeSynchronously() }

    /// Finishes the writes already accepted, then closes the environment and releases the folder. Later
    /// calls throw `.closed`; tails end.
    public func close() async { closeSynchronously() }

    /// Stops the writer and waits for it, unless called on the writer thread itself (the last reference
    /// dropped by a write's own closure): then the writer closes everything once its batch is done.
    func closeSynchronously() {
        guard !isClosed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        writer.stop(wait: !writer.isWriterThread)
        notifier.close()
    }

    public var latestSequence: SequenceNumber { notifier.latest }

    /// Commits and requests so far: `requests / commits` is the average group-commit batch.
    public var writerStatistics: WriterStatistics { writer.statistics }

    /// Writes a consistent copy of the whole store into the empty folder `destination` while writing goes
    /// on: a hot backup, which opens as a store with the same identity. With `compact`, free pages are
    /// left out.
    public func backup(to destination: String, compact: Bool = true) throws {
        do {
            // Everything acknowledged so far goes into LMDB first; the copy starts a fresh write-ahead log.
            try checkpointer.checkpointNow()
            try store.environment.copy(to: destination, compact: compact)
            try WriteAheadLog.createZeroFilled(folder: destination, capacity: UInt64(configuration.writeAheadLogSize))
            let latest = try store.environment.read { txn in try lastSequence(txn, store) }
            // The copy's log may be longer than this, never shorter.
            try StoreMarker(identity: identity, eventsAtLeast: latest.rawValue).write(folder: destination)
        } catch {
            throw storeError(error)
        }
    }

    // MARK: The protocol

    public func prepareBlob(_ bytes: [UInt8], kind: String, dictionaryID: UInt32?) throws -> PreparedBlob {
        try PreparedBlob.validate(kind: kind)
        guard bytes.count <= configuration.limits.maximumBlobSize else {
            throw StoreError(.tooLarge, "a file of \(bytes.count) bytes; at most \(configuration.limits.maximumBlobSize)")
        }
        var dictionary: ZstdDictionary?
        if let dictionaryID {
            guard let found = store.registry.dictionary(id: dictionaryID) else { throw StoreError(.unknownDictionary, "dictionary \(dictionaryID)") }
            dictionary = found
        }
        let frame = Zstd.compress(bytes, level: configuration.compressionLevel, dictionary: dictionary)
        return PreparedBlob(hash: SHA256.hash(bytes), size: bytes.count, kind: kind, dictionaryID: dictionaryID, stored: frame)
    }

    public func commit(_ write: StoreWrite) async throws -> CommitReceipt {
        guard !isClosed.load(ordering: .acquiring) else { throw StoreError(.closed, "no more writes are accepted") }
        let size = try write.validate(limits: configuration.limits, keySpaces: declared)
        let dictionaries = try write.dictionaries.map { bytes in
            do { return try ZstdDictionary(bytes: bytes) } catch { throw StoreError(.invalidArgument, "not a zstd dictionary: \(error)") }
        }
        let frames = write.events.map { Zstd.compress($0.body, level: configuration.bodyCompressionLevel) }
        let prepared = PreparedWrite(write: write, frames: frames, dictionaries: dictionaries, size: size)
        try await admission.acquire(size)
        return try await withCheckedThrowingContinuation { continuation in
            if !writer.submit(WriteRequest(write: prepared, continuation: continuation)) {
                admission.release(size)
                continuation.resume(throwing: StoreError(.closed, "no more writes are accepted"))
            }
        }
    }

    public func read<R: Sendable>(_ body: (any StoreSnapshot) async throws -> R) async throws -> R {
        do {
            // The change sets are taken before the LMDB snapshot begins (see `StoreView`).
            let layers = checkpointer.layers
            return try await store.environment.readAsync { txn in
                try await body(LMDBSnapshot(view: StoreView(transaction: txn, store: store, published: layers)))
            }
        } catch {
            throw storeError(error)
        }
    }

    public func tail(after position: SequenceNumber) -> CommittedSequences {
        CommittedSequences(after: position, notifier: notifier)
    }

    // MARK: Opening

    static func requireData(in path: String, for marker: StoreMarker) throws {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path + "/data.mdb")
        let size = (attributes?[.size] as? NSNumber)?.intValue ?? 0
        guard size > 0 else {
            throw StoreError(.missingData, "\(path)/data.mdb is \(attributes == nil ? "missing" : "empty"), but this folder holds store \(marker.identity.id), created \(marker.identity.created), with at least \(marker.eventsAtLeast) events: restore the data file from a backup")
        }
    }

    /// Reads the store's format and identity from `meta`, writing them on a new store.
    static func establishIdentity(_ environment: Environment, marker: StoreMarker?) throws -> StoreIdentity {
        let meta = try environment.database(named: "meta")
        let existing = try environment.read { txn in try readIdentity(txn, meta: meta) }
        if let existing {
            if let marker, marker.identity.id != existing.id {
                throw StoreError(.missingData, "\(environment.path)/data.mdb belongs to store \(existing.id), but the folder's identity file names store \(marker.identity.id)")
            }
            return existing
        }
        if let marker { throw StoreError(.missingData, "\(environment.path)/data.mdb holds no store, but the folder's identity file names store \(marker.identity.id)") }
        let identity = StoreIdentity.new(engine: "lmdb", format: Int(LogStore.storageFormat))
        try environment.write { txn in
            try txn.put(meta, key: Array("format".utf8), value: [LogStore.storageFormat])
            try txn.put(meta, key: Array("identity".utf8), value: Array(identity.id.utf8))
            try txn.put(meta, key: Array("created".utf8), value: withUnsafeBytes(of: identity.created.rawValue.bigEndian) { Array($0) })
        }
        return identity
    }

    static func readIdentity(_ txn: Transaction, meta: Database) throws -> StoreIdentity? {
        guard let format = try txn.get(meta, key: Array("format".utf8)) else { return nil }
        guard format == [LogStore.storageFormat] else {
            throw StoreError(.unsupportedFormat, "the data folder has storage format \(format.first.map(String.init) ?? "?"); this program reads format \(LogStore.storageFormat) (format 1 had no actors or request ids: replay it into a new store)")
        }
        guard let id = try txn.get(meta, key: Array("identity".utf8)).flatMap({ String(validating: $0, as: UTF8.self) }),
              let created = try txn.get(meta, key: Array("created".utf8)), created.count == 8 else {
            throw StoreError(.corrupt, "the store's identity is missing from its data file")
        }
        let micros = created.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return StoreIdentity(id: id, created: Timestamp(rawValue: Int64(bitPattern: micros)), engine: "lmdb", format: Int(LogStore.storageFormat))
    }
}

/// What opening a store recovered from its write-ahead log.
public struct RecoveryReport: Sendable, Hashable {
    /// Group commits applied to LMDB.
    public let groups: Int
    /// Their bytes in the log.
    public let bytes: Int
    /// How long reading and applying them took.
    public let duration: Duration
}

extension Duration {
    var seconds: Double {
        let parts = components
        return max(0, Double(parts.seconds) + Double(parts.attoseconds) / 1e18)
    }
}
