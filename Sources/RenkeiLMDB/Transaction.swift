internal import CLMDB

/// What read-only and write transactions share: reads of any database at the transaction's snapshot.
///
/// A transaction is confined to the closure that received it (`Environment.read` / `.write`) and is not
/// `Sendable`. Values are handed out as copies, or in place as a `RawSpan` to a closure, which the type
/// system keeps from escaping it: no pointer into the map outlives its transaction.
public class Transaction {
    let handle: OpaquePointer
    let environment: Environment
    private(set) var isOpen = true

    init(handle: OpaquePointer, environment: Environment) {
        self.handle = handle
        self.environment = environment
    }

    func ensureOpen() throws {
        guard isOpen else { throw LMDBError(code: .closed, operation: "transaction") }
    }

    /// Ends the transaction without committing (a read-only one simply ends).
    func abort() {
        guard isOpen else { return }
        isOpen = false
        mdb_txn_abort(handle)
    }

    func markEnded() { isOpen = false }

    /// Calls `body` with the value stored under `key`, in place in the map, and returns its result; nil
    /// when the key is absent. The span cannot outlive the call.
    public func withValue<R>(_ database: Database, key: UnsafeRawBufferPointer, _ body: (RawSpan) throws -> R) throws -> R? {
        guard let value = try lookup(database, key: key) else { return nil }
        return try body(RawSpan(_unsafeBytes: value))
    }

    /// The value stored under `key`, copied, or nil.
    public func get(_ database: Database, key: UnsafeRawBufferPointer) throws -> [UInt8]? {
        try lookup(database, key: key).map { Array($0) }
    }

    /// The value stored under `key`, copied, or nil.
    public func get(_ database: Database, key: [UInt8]) throws -> [UInt8]? {
        try key.withUnsafeBytes { raw throws in try get(database, key: raw) }
    }

    /// Whether `key` is present.
    public func contains(_ database: Database, key: UnsafeRawBufferPointer) throws -> Bool {
        try lookup(database, key: key) != nil
    }

    /// The value under `key` as a buffer into the map: internal, so that no pointer into the map leaves
    /// this module.
    func lookup(_ database: Database, key: UnsafeRawBufferPointer) throws -> UnsafeRawBufferPointer? {
        try ensureOpen()
        try validate(key: key)
        var keyValue = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var data = MDB_val()
        let status = mdb_get(handle, database.dbi, &keyValue, &data)
        if status == MDB_NOTFOUND { return nil }
        try check(status, "mdb_get", detail: database.name)
        return UnsafeRawBufferPointer(start: data.mv_data, count: data.mv_size)
    }

    /// Runs `body` with a cursor over `database`; the cursor is closed when `body` returns or throws.
    public func withCursor<R>(_ database: Database, _ body: (Cursor) throws -> R) throws -> R {
        try ensureOpen()
        var cursor: OpaquePointer?
        try check(mdb_cursor_open(handle, database.dbi, &cursor), "mdb_cursor_open", detail: database.name)
        let wrapper = Cursor(handle: cursor!, database: database)
        defer { wrapper.close() }
        return try body(wrapper)
    }

    /// The number of entries in `database` at this snapshot.
    public func count(_ database: Database) throws -> Int {
        try ensureOpen()
        var stat = MDB_stat()
        try check(mdb_stat(handle, database.dbi, &stat), "mdb_stat", detail: database.name)
        return stat.ms_entries
    }

    func validate(key: UnsafeRawBufferPointer) throws {
        guard key.count > 0, key.count <= 511 else {
            throw LMDBError(code: .invalidArgument, operation: "key", detail: "a key must have 1 to 511 bytes, not \(key.count)")
        }
    }
}

/// A read-only transaction: a consistent snapshot, usable on the thread that runs the closure.
public final class ReadTransaction: Transaction {}

/// A write transaction, or a child of one (see `nested`).
public final class WriteTransaction: Transaction {
    private var hasOpenChild = false

    override func ensureOpen() throws {
        try super.ensureOpen()
        guard !hasOpenChild else {
            throw LMDBError(code: .badTransaction, operation: "transaction", detail: "the parent is in use by a nested transaction")
        }
    }

    /// Stores `value` under `key`.
    public func put(_ database: Database, key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, options: PutOptions = []) throws {
        try ensureOpen()
        try validate(key: key)
        var keyValue = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var data = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
        try check(mdb_put(handle, database.dbi, &keyValue, &data, options.rawValue), "mdb_put", detail: database.name)
    }

    /// Stores `value` under `key`.
    public func put(_ database: Database, key: [UInt8], value: [UInt8], options: PutOptions = []) throws {
        try key.withUnsafeBytes { k throws in
            try value.withUnsafeBytes { v throws in try put(database, key: k, value: v, options: options) }
        }
    }

    /// Deletes `key`. Returns whether it was present.
    @discardableResult
    public func delete(_ database: Database, key: UnsafeRawBufferPointer) throws -> Bool {
        try ensureOpen()
        try validate(key: key)
        var keyValue = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        let status = mdb_del(handle, database.dbi, &keyValue, nil)
        if status == MDB_NOTFOUND { return false }
        try check(status, "mdb_del", detail: database.name)
        return true
    }

    /// Deletes `key`. Returns whether it was present.
    @discardableResult
    public func delete(_ database: Database, key: [UInt8]) throws -> Bool {
        try key.withUnsafeBytes { k throws in try delete(database, key: k) }
    }

    /// Removes every entry of `database` (the database itself stays).
    public func clear(_ database: Database) throws {
        try ensureOpen()
        try check(mdb_drop(handle, database.dbi, 0), "mdb_drop", detail: database.name)
    }

    /// Runs `body` in a child transaction: its writes join this transaction if `body` returns, and are
    /// discarded (this transaction unchanged) if it throws. The parent cannot be used meanwhile.
    public func nested<R>(_ body: (WriteTransaction) throws -> R) throws -> R {
        try ensureOpen()
        var child: OpaquePointer?
        try check(mdb_txn_begin(environment.handle, handle, 0, &child), "mdb_txn_begin(nested)")
        let transaction = WriteTransaction(handle: child!, environment: environment)
        hasOpenChild = true
        defer { hasOpenChild = false }
        return try transaction.run(body)
    }

    /// Runs `body` with this transaction, then commits it; aborts it if `body` throws.
    func run<R>(_ body: (WriteTransaction) throws -> R) throws -> R {
        let value: R
        do {
            value = try body(self)
        } catch {
            abort()
            throw error
        }
        try commit()
        return value
    }

    /// Commits. On failure LMDB has already freed the transaction; nothing of it was written.
    func commit() throws {
        try super.ensureOpen()
        markEnded()
        try check(mdb_txn_commit(handle), "mdb_txn_commit")
    }
}
