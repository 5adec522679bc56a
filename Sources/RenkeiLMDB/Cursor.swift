internal import CLMDB

/// A position in a database, moving in key order. Valid only inside `Transaction.withCursor`.
///
/// The key and value buffers it returns point into the map: valid until the next move of this cursor or
/// the end of the transaction, whichever comes first.
public final class Cursor {
    /// A key and its value, as buffers into the map.
    public struct Entry {
        /// The key's bytes.
        public let key: UnsafeRawBufferPointer
        /// The value's bytes.
        public let value: UnsafeRawBufferPointer
    }

    private let handle: OpaquePointer
    /// The database the cursor moves in.
    public let database: Database
    private var isOpen = true

    init(handle: OpaquePointer, database: Database) {
        self.handle = handle
        self.database = database
    }

    func close() {
        guard isOpen else { return }
        isOpen = false
        mdb_cursor_close(handle)
    }

    private func move(_ operation: MDB_cursor_op, key: UnsafeRawBufferPointer? = nil) throws -> Entry? {
        guard isOpen else { throw LMDBError(code: .closed, operation: "cursor", detail: database.name) }
        var keyValue = MDB_val(mv_size: key?.count ?? 0, mv_data: UnsafeMutableRawPointer(mutating: key?.baseAddress))
        var data = MDB_val()
        let status = mdb_cursor_get(handle, &keyValue, &data, operation)
        if status == MDB_NOTFOUND { return nil }
        try check(status, "mdb_cursor_get", detail: database.name)
        return Entry(
            key: UnsafeRawBufferPointer(start: keyValue.mv_data, count: keyValue.mv_size),
            value: UnsafeRawBufferPointer(start: data.mv_data, count: data.mv_size)
        )
    }

    /// The first entry, or nil when the database is empty.
    public func first() throws -> Entry? { try move(MDB_FIRST) }
    /// The last entry, or nil when the database is empty.
    public func last() throws -> Entry? { try move(MDB_LAST) }
    /// The entry after the current one, or nil at the end.
    public func next() throws -> Entry? { try move(MDB_NEXT) }
    /// The entry before the current one, or nil at the start.
    public func previous() throws -> Entry? { try move(MDB_PREV) }

    /// The first entry whose key is at or after `key`, or nil when there is none.
    public func seek(atOrAfter key: UnsafeRawBufferPointer) throws -> Entry? {
        guard key.count > 0 else { return try first() }
        return try move(MDB_SET_RANGE, key: key)
    }

    /// The first entry whose key is at or after `key`, or nil when there is none.
    public func seek(atOrAfter key: [UInt8]) throws -> Entry? {
        try key.withUnsafeBytes { raw throws in try seek(atOrAfter: raw) }
    }

    /// Calls `body` for each entry with a key in `lowerBound ..< upperBound` (nil: unbounded), in order,
    /// until `body` returns false.
    public func forEach(from lowerBound: [UInt8]? = nil, to upperBound: [UInt8]? = nil, _ body: (Entry) throws -> Bool) throws {
        var entry = try lowerBound.map { bound throws in try seek(atOrAfter: bound) } ?? first()
        while let current = entry {
            if let upperBound, !current.key.lexicographicallyPrecedes(upperBound) { return }
            guard try body(current) else { return }
            entry = try next()
        }
    }
}
