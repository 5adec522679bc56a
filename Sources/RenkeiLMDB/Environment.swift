internal import CLMDB
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An LMDB environment: one data file holding named databases, opened with `MDB_NOTLS` so that read-only
/// transactions are not tied to a thread.
///
/// Concurrency rules:
/// - `read` runs a read-only transaction; any number run at once, from any threads. `readAsync` lets a
///   read-only transaction span the awaits of its closure (it may resume on another thread; `MDB_NOTLS`
///   makes that safe). Keep such a closure to reads: while it runs, the pages of its snapshot stay pinned.
/// - `write` runs a write transaction on the calling thread, never across an `await`; write transactions
///   are serialised (one at a time in this process, and LMDB's own lock across processes).
/// - Both end when the closure returns (commit for a write) or throws (abort). Using a transaction after
///   that throws `.closed`.
///
/// The map is opened at `Configuration.mapSize` and never resized while open: LMDB maps lazily and the file
/// holds only the pages written, so a large map costs address space, not disk. Nothing ever has to stop
/// readers to grow it. A write that would pass the map's end fails with `.mapFull` and writes nothing.
public final class Environment: @unchecked Sendable {
    /// How commits reach the disk.
    public enum Durability: Sendable, Hashable {
        /// Every commit is synced to disk before `write` returns (the default; acknowledged means durable).
        case durable
        /// Commits are not synced (`MDB_NOSYNC`): only for scratch environments that call `sync()` once
        /// when they are complete (a rebuild, a replay); never for a store that acknowledges writes.
        case noSync
    }

    /// Settings for opening an environment.
    public struct Configuration: Sendable, Hashable {
        /// The most named databases the environment can hold.
        public var maximumDatabases: Int = 32
        /// The map's size: the most the data file can ever hold (address space only; the file is sparse).
        public var mapSize: Int = 1 << 40
        /// Reader slots: the most read-only transactions open at once, across processes.
        public var maximumReaders: Int = 1024
        /// Whether commits are synced.
        public var durability: Durability = .durable
        /// Open read-only: no writes, and no write lock taken (another process may be writing).
        public var readOnly = false
        /// Permissions of the data and lock files.
        public var fileMode: UInt16 = 0o600

        /// The defaults.
        public init() {}
    }

    let handle: OpaquePointer
    /// The folder that holds `data.mdb` and `lock.mdb`.
    public let path: String
    /// The settings it was opened with.
    public let configuration: Configuration
    /// Stale reader slots cleared when it was opened (left by processes that died inside a read).
    public let staleReadersCleared: Int

    private let transactions = TransactionTracker()
    private let writeLock = WriterLock()
    private let databases = Mutex([String: Database]())
    private let isClosed = Atomic<Bool>(false)

    /// Opens (creating if needed, unless read-only) the environment in the folder `path`.
    public init(path: String, configuration: Configuration = Configuration()) throws {
        self.path = path
        self.configuration = configuration
        guard configuration.mapSize > 0 else {
            throw LMDBError(code: .invalidArgument, operation: "open", detail: "map size \(configuration.mapSize)")
        }
        if !configuration.readOnly, mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw LMDBError(code: .init(rawValue: errno), operation: "mkdir", detail: path)
        }
        var env: OpaquePointer?
        try check(mdb_env_create(&env), "mdb_env_create")
        guard let env else { throw LMDBError(code: .invalidArgument, operation: "mdb_env_create") }
        do {
            try check(mdb_env_set_maxdbs(env, MDB_dbi(configuration.maximumDatabases)), "mdb_env_set_maxdbs")
            try check(mdb_env_set_maxreaders(env, UInt32(configuration.maximumReaders)), "mdb_env_set_maxreaders")
            try check(mdb_env_set_mapsize(env, configuration.mapSize), "mdb_env_set_mapsize")
            var flags = UInt32(MDB_NOTLS)
            if configuration.durability == .noSync { flags |= UInt32(MDB_NOSYNC) }
            if configuration.readOnly { flags |= UInt32(MDB_RDONLY) }
            try check(mdb_env_open(env, path, flags, mdb_mode_t(configuration.fileMode)), "mdb_env_open", detail: path)
            var dead: Int32 = 0
            try check(mdb_reader_check(env, &dead), "mdb_reader_check")
            staleReadersCleared = Int(dead)
        } catch {
            mdb_env_close(env)
            throw error
        }
        handle = env
    }

    deinit {
        if !isClosed.load(ordering: .acquiring) { mdb_env_close(handle) }
    }

    /// Closes the environment once the transactions open in this process have ended; transactions asked
    /// for meanwhile, and later, throw `.closed`. Must not be called from inside a transaction's closure.
    public func close() {
        guard transactions.closeAndDrain() else { return }
        isClosed.store(true, ordering: .releasing)
        mdb_env_close(handle)
    }

    /// The named database `name`; created if it does not exist (in its own write transaction), unless the
    /// environment is read-only. Open every database at start-up, before concurrent work begins.
    public func database(named name: String) throws -> Database {
        if let known = databases.withLock({ $0[name] }) { return known }
        guard !name.isEmpty, name.utf8.count <= 255 else {
            throw LMDBError(code: .invalidArgument, operation: "mdb_dbi_open", detail: "name \(name)")
        }
        let database: Database
        if configuration.readOnly {
            // A handle opened in a read-only transaction is the environment's only once that transaction commits.
            database = try withTransaction(parent: nil, flags: UInt32(MDB_RDONLY)) { txn in
                var dbi = MDB_dbi()
                let status = mdb_dbi_open(txn, name, 0, &dbi)
                if status != 0 { mdb_txn_abort(txn) }
                try check(status, "mdb_dbi_open", detail: name)
                try check(mdb_txn_commit(txn), "mdb_txn_commit(read-only)")
                return Database(dbi: dbi, name: name)
            } abortOnExit: { _ in }
        } else {
            database = try write { txn throws in
                var dbi = MDB_dbi()
                try check(mdb_dbi_open(txn.handle, name, UInt32(MDB_CREATE), &dbi), "mdb_dbi_open", detail: name)
                return Database(dbi: dbi, name: name)
            }
        }
        // Only a committed handle is cached: one from a failed commit was closed by LMDB.
        databases.withLock { $0[name] = database }
        return database
    }

    /// Runs `body` in a read-only transaction: a consistent snapshot of every database as of the last
    /// commit before it began. Safe from any thread; the transaction ends when `body` returns or throws.
    public func read<R>(_ body: (ReadTransaction) throws -> R) throws -> R {
        try withTransaction(parent: nil, flags: UInt32(MDB_RDONLY)) { txn in
            let transaction = ReadTransaction(handle: txn, environment: self)
            defer { transaction.markEnded() }
            return try body(transaction)
        } abortOnExit: { mdb_txn_abort($0) }
    }

    /// Like `read`, for a closure that awaits: the snapshot lasts until `body` returns, across its awaits.
    public func readAsync<R>(_ body: (ReadTransaction) async throws -> R) async throws -> R {
        guard transactions.enter() else { throw LMDBError(code: .closed, operation: "transaction", detail: path) }
        defer { transactions.leave() }
        var txn: OpaquePointer?
        try check(mdb_txn_begin(handle, nil, UInt32(MDB_RDONLY), &txn), "mdb_txn_begin(read-only)")
        let transaction = ReadTransaction(handle: txn!, environment: self)
        defer {
            transaction.markEnded()
            mdb_txn_abort(txn)
        }
        return try await body(transaction)
    }

    /// Runs `body` in a write transaction on the calling thread, then commits it durably (per
    /// `Configuration.durability`). If `body` throws, nothing is written and the error is rethrown.
    /// At the map's end the call throws `.mapFull`; on a full file system `.diskFull`.
    public func write<R>(_ body: (WriteTransaction) throws -> R) throws -> R {
        guard !configuration.readOnly else {
            throw LMDBError(code: .permissionDenied, operation: "mdb_txn_begin(write)", detail: "\(path) is open read-only")
        }
        return try writeLock.withLock {
            try withTransaction(parent: nil, flags: 0) { txn in
                do {
                    return try WriteTransaction(handle: txn, environment: self).run(body)
                } catch let error as LMDBError where error.code == .ioError {
                    throw diskFullIfNoSpace(error)
                }
            } abortOnExit: { _ in }
        }
    }

    /// Begins a transaction counted by the tracker, runs `body` with it, and calls `abortOnExit` when
    /// `body` throws before it handed the transaction on (write transactions end themselves).
    private func withTransaction<R>(parent: OpaquePointer?, flags: UInt32, _ body: (OpaquePointer) throws -> R, abortOnExit: (OpaquePointer) -> Void) throws -> R {
        guard transactions.enter() else { throw LMDBError(code: .closed, operation: "transaction", detail: path) }
        defer { transactions.leave() }
        var txn: OpaquePointer?
        try check(mdb_txn_begin(handle, parent, flags, &txn), flags & UInt32(MDB_RDONLY) != 0 ? "mdb_txn_begin(read-only)" : "mdb_txn_begin(write)")
        defer { abortOnExit(txn!) }
        return try body(txn!)
    }

    /// LMDB reports a short write of its pages as `EIO`; when the data folder's file system has (almost) no
    /// space left, that is a full disk, and the caller should hear so.
    private func diskFullIfNoSpace(_ error: LMDBError) -> LMDBError {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else { return error }
        let free = Int(stats.f_bavail) * Int(stats.f_frsize)
        guard free < 8 << 20 else { return error }
        return LMDBError(code: .diskFull, operation: error.operation, detail: "short write with \(free) bytes free in \(path)")
    }

    /// Flushes every commit to disk (`mdb_env_sync` forced): how a `.noSync` scratch environment becomes
    /// durable once it is complete.
    public func sync() throws {
        guard transactions.enter() else { throw LMDBError(code: .closed, operation: "mdb_env_sync", detail: path) }
        defer { transactions.leave() }
        try check(mdb_env_sync(handle, 1), "mdb_env_sync", detail: path)
    }

    /// Clears reader slots left by processes that died inside a read transaction (they would otherwise pin
    /// old pages and keep them from reuse). Returns how many were cleared. Also done at open.
    public func clearStaleReaders() throws -> Int {
        guard transactions.enter() else { throw LMDBError(code: .closed, operation: "mdb_reader_check", detail: path) }
        defer { transactions.leave() }
        var dead: Int32 = 0
        try check(mdb_reader_check(handle, &dead), "mdb_reader_check")
        return Int(dead)
    }

    /// Sizes of the environment now.
    public func info() throws -> EnvironmentInfo {
        guard transactions.enter() else { throw LMDBError(code: .closed, operation: "mdb_env_info", detail: path) }
        defer { transactions.leave() }
        var info = MDB_envinfo()
        var stat = MDB_stat()
        try check(mdb_env_info(handle, &info), "mdb_env_info")
        try check(mdb_env_stat(handle, &stat), "mdb_env_stat")
        return EnvironmentInfo(
            mapSize: info.me_mapsize,
            usedBytes: (info.me_last_pgno + 1) * Int(stat.ms_psize),
            pageSize: Int(stat.ms_psize),
            lastTransactionID: info.me_last_txnid,
            readersInUse: Int(info.me_numreaders)
        )
    }

    /// Writes a consistent copy of the environment into the empty folder `destination` while readers and
    /// the writer go on (a hot backup). With `compact`, free pages are left out. The copy reads one
    /// snapshot, so it pins that snapshot's pages until it ends.
    public func copy(to destination: String, compact: Bool = false) throws {
        if mkdir(destination, 0o700) != 0 && errno != EEXIST {
            throw LMDBError(code: .init(rawValue: errno), operation: "mkdir", detail: destination)
        }
        guard transactions.enter() else { throw LMDBError(code: .closed, operation: "mdb_env_copy2", detail: path) }
        defer { transactions.leave() }
        try check(mdb_env_copy2(handle, destination, compact ? UInt32(MDB_CP_COMPACT) : 0), "mdb_env_copy2", detail: destination)
    }
}
