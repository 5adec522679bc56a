internal import CLMDB
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An LMDB environment: one data file holding named databases, opened with `MDB_NOTLS` so that read-only
/// transactions may run on any thread.
///
/// Concurrency rules:
/// - `read` runs a read-only transaction on the calling thread; any number run at once, from any threads.
/// - `write` runs a write transaction on the calling thread; write transactions are serialised (one at a
///   time in this process, and LMDB's own lock across processes). Use it from one writer thread.
/// - Both take a synchronous closure: a transaction cannot live across an `await`, and it ends when the
///   closure returns (commit for a write) or throws (abort). Using a transaction after that throws `.closed`.
/// - Transactions must not be nested by opening another transaction inside the closure (use
///   `WriteTransaction.nested` for a child transaction).
///
/// The map grows on demand: when a write finds the map full, the transaction is aborted, the map is grown
/// (doubling, by at most `Configuration.maximumGrowthStep`), and the closure runs again — so a write
/// closure must not have effects outside its transaction. At `Configuration.maximumMapSize` the write
/// fails with `LMDBError.Code.mapFull` and nothing of it is written.
public final class Environment: @unchecked Sendable {
    /// How commits reach the disk.
    public enum Durability: Sendable, Hashable {
        /// Every commit is synced to disk before `write` returns (the default; acknowledged means durable).
        case durable
        /// Commits are not synced (`MDB_NOSYNC`): for scratch environments such as replays, never for the log.
        case noSync
    }

    /// Settings for opening an environment, with defaults for a platform store.
    public struct Configuration: Sendable, Hashable {
        /// The most named databases the environment can hold.
        public var maximumDatabases: Int = 32
        /// The map size at first open; it grows on demand.
        public var initialMapSize: Int = 64 << 20
        /// The map never grows past this; a write that would needs it fails with `.mapFull`.
        public var maximumMapSize: Int = 1 << 40
        /// The most the map grows by in one step (it otherwise doubles).
        public var maximumGrowthStep: Int = 4 << 30
        /// Reader slots: the most read-only transactions open at once.
        public var maximumReaders: Int = 1024
        /// Whether commits are synced.
        public var durability: Durability = .durable
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
    /// Stale reader slots cleared when it was opened (left by processes that died while another process
    /// kept the environment open; the first process to open an environment starts a fresh reader table).
    public let staleReadersCleared: Int

    private let gate = ReadWriteGate()
    private let writeLock = WriterLock()
    private let databases = Mutex([String: Database]())
    private let isClosed = Atomic<Bool>(false)

    /// Opens (creating if needed) the environment in the folder `path`, creating the folder too.
    public init(path: String, configuration: Configuration = Configuration()) throws {
        self.path = path
        self.configuration = configuration
        guard configuration.initialMapSize > 0, configuration.maximumMapSize >= configuration.initialMapSize else {
            throw LMDBError(code: .invalidArgument, operation: "open", detail: "map sizes \(configuration.initialMapSize) … \(configuration.maximumMapSize)")
        }
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw LMDBError(code: .init(rawValue: errno), operation: "mkdir", detail: path)
        }
        var env: OpaquePointer?
        try check(mdb_env_create(&env), "mdb_env_create")
        guard let env else { throw LMDBError(code: .invalidArgument, operation: "mdb_env_create") }
        do {
            try check(mdb_env_set_maxdbs(env, MDB_dbi(configuration.maximumDatabases)), "mdb_env_set_maxdbs")
            try check(mdb_env_set_maxreaders(env, UInt32(configuration.maximumReaders)), "mdb_env_set_maxreaders")
            try check(mdb_env_set_mapsize(env, configuration.initialMapSize), "mdb_env_set_mapsize")
            var flags = UInt32(MDB_NOTLS)
            if configuration.durability == .noSync { flags |= UInt32(MDB_NOSYNC) }
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

    /// Closes the environment. Every transaction must have ended; later use throws `.closed`.
    public func close() {
        gate.withExclusive {
            if !isClosed.exchange(true, ordering: .acquiringAndReleasing) { mdb_env_close(handle) }
        }
    }

    /// The named database `name`, created if it does not exist (in its own write transaction).
    /// Open every database at start-up, before concurrent work begins.
    public func database(named name: String) throws -> Database {
        if let known = databases.withLock({ $0[name] }) { return known }
        guard !name.isEmpty, name.utf8.count <= 255 else {
            throw LMDBError(code: .invalidArgument, operation: "mdb_dbi_open", detail: "name \(name)")
        }
        return try write { txn throws in
            var dbi = MDB_dbi()
            try check(mdb_dbi_open(txn.handle, name, UInt32(MDB_CREATE), &dbi), "mdb_dbi_open", detail: name)
            let database = Database(dbi: dbi, name: name)
            databases.withLock { $0[name] = database }
            return database
        }
    }

    /// Runs `body` in a read-only transaction: a consistent snapshot of every database as of the last
    /// commit before it began. Safe from any thread; the transaction ends when `body` returns or throws.
    public func read<R>(_ body: (ReadTransaction) throws -> R) throws -> R {
        while true {
            let outcome: Result<R, any Error>? = try gate.withShared { () throws -> Result<R, any Error>? in
                try ensureOpen()
                var txn: OpaquePointer?
                let status = mdb_txn_begin(handle, nil, UInt32(MDB_RDONLY), &txn)
                if status == MDB_MAP_RESIZED { return nil }
                try check(status, "mdb_txn_begin(read-only)")
                let transaction = ReadTransaction(handle: txn!, environment: self)
                defer { transaction.abort() }
                do { return .success(try body(transaction)) } catch { return .failure(error) }
            }
            guard let outcome else {
                try adoptMapSizeOfOtherProcess()
                continue
            }
            return try outcome.get()
        }
    }

    /// Runs `body` in a write transaction on the calling thread, then commits it durably (per
    /// `Configuration.durability`). If `body` throws, nothing is written and the error is rethrown.
    ///
    /// If the map is full, the transaction is aborted, the map grown and `body` run again; at the maximum
    /// map size the call throws `LMDBError` with code `.mapFull`.
    public func write<R>(_ body: (WriteTransaction) throws -> R) throws -> R {
        try writeLock.withLock {
            while true {
                let attempt: Result<R, any Error> = gate.withShared {
                    Result { try writeOnce(body) }
                }
                switch attempt {
                case .success(let value):
                    return value
                case .failure(let error as LMDBError) where error.code == .mapFull:
                    guard try growMap() else { throw error }
                case .failure(let error as LMDBError) where error.code == .mapResized:
                    try adoptMapSizeOfOtherProcess()
                case .failure(let error):
                    throw error
                }
            }
        }
    }

    private func writeOnce<R>(_ body: (WriteTransaction) throws -> R) throws -> R {
        try ensureOpen()
        var txn: OpaquePointer?
        try check(mdb_txn_begin(handle, nil, 0, &txn), "mdb_txn_begin(write)")
        do {
            return try WriteTransaction(handle: txn!, environment: self).run(body)
        } catch let error as LMDBError where error.code == .ioError {
            throw diskFullIfNoSpace(error)
        }
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

    /// Whether the map can still grow.
    public var canGrow: Bool { currentMapSize < configuration.maximumMapSize }

    /// Grows the map by one step. Returns false when it is already at the maximum.
    /// Called with no transaction of this process open (the write lock is held by the caller).
    private func growMap() throws -> Bool {
        try gate.withExclusive { () throws -> Bool in
            let current = currentMapSize
            guard current < configuration.maximumMapSize else { return false }
            let step = min(max(current, 1 << 20), configuration.maximumGrowthStep)
            let target = min(current + step, configuration.maximumMapSize)
            try check(mdb_env_set_mapsize(handle, target), "mdb_env_set_mapsize", detail: "\(target) bytes")
            return true
        }
    }

    private func adoptMapSizeOfOtherProcess() throws {
        try gate.withExclusive { () throws in
            try check(mdb_env_set_mapsize(handle, 0), "mdb_env_set_mapsize(0)")
        }
    }

    private var currentMapSize: Int {
        var info = MDB_envinfo()
        mdb_env_info(handle, &info)
        return info.me_mapsize
    }

    func ensureOpen() throws {
        if isClosed.load(ordering: .acquiring) { throw LMDBError(code: .closed, operation: "transaction", detail: path) }
    }

    /// Clears reader slots left by processes that died inside a read transaction (they would otherwise pin
    /// old pages and keep them from reuse). Returns how many were cleared. Also done at open.
    public func clearStaleReaders() throws -> Int {
        try gate.withShared {
            try ensureOpen()
            var dead: Int32 = 0
            try check(mdb_reader_check(handle, &dead), "mdb_reader_check")
            return Int(dead)
        }
    }

    /// Sizes of the environment now.
    public func info() throws -> EnvironmentInfo {
        try gate.withShared { () throws -> EnvironmentInfo in
            try ensureOpen()
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
    }

    /// Writes a consistent copy of the environment into the empty folder `destination` while readers and
    /// the writer go on (a hot backup). With `compact`, free pages are left out.
    public func copy(to destination: String, compact: Bool = false) throws {
        if mkdir(destination, 0o700) != 0 && errno != EEXIST {
            throw LMDBError(code: .init(rawValue: errno), operation: "mkdir", detail: destination)
        }
        try gate.withShared { () throws in
            try ensureOpen()
            try check(mdb_env_copy2(handle, destination, compact ? UInt32(MDB_CP_COMPACT) : 0), "mdb_env_copy2", detail: destination)
        }
    }
}
