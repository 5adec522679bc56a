internal import CLMDB
import Glibc

/// A position in a database, moving in key order. Valid only inside `Transaction.withCursor`.
///
/// Moves say whether they found an entry; the entry at the position is read with `withCurrent` (in place,
/// as spans that cannot escape the call) or copied with `currentKey`.
public final class Cursor {
    private let handle: OpaquePointer
    /// The database the cursor moves in.
    public let database: Database
    private var isOpen = true
    private var key = MDB_val()
    private var value = MDB_val()
    private var positioned = false

    init(handle: OpaquePointer, database: Database) {
        self.handle = handle
        self.database = database
    }

    func close() {
        guard isOpen else { return }
        isOpen = false
        mdb_cursor_close(handle)
    }

    private func move(_ operation: MDB_cursor_op, to target: UnsafeRawBufferPointer? = nil) throws -> Bool {
        guard isOpen else { throw LMDBError(code: .closed, operation: "cursor", detail: database.name) }
        var keyValue = MDB_val(mv_size: target?.count ?? 0, mv_data: UnsafeMutableRawPointer(mutating: target?.baseAddress))
        var data = MDB_val()
        let status = mdb_cursor_get(handle, &keyValue, &data, operation)
        if status == MDB_NOTFOUND {
            positioned = false
            return false
        }
        try check(status, "mdb_cursor_get", detail: database.name)
        key = keyValue
        value = data
        positioned = true
        return true
    }

    /// Moves to the first entry; false when the database is empty.
    public func first() throws -> Bool { try move(MDB_FIRST) }
    /// Moves to the last entry; false when the database is empty.
    public func last() throws -> Bool { try move(MDB_LAST) }
    /// Moves to the next entry; false at the end.
    public func next() throws -> Bool { try move(MDB_NEXT) }
    /// Moves to the previous entry; false at the start.
    public func previous() throws -> Bool { try move(MDB_PREV) }

    /// Moves to the first entry whose key is at or after `target`; false when there is none.
    public func seek(atOrAfter target: UnsafeRawBufferPointer) throws -> Bool {
        guard target.count > 0 else { return try first() }
        return try move(MDB_SET_RANGE, to: target)
    }

    /// Moves to the first entry whose key is at or after `target`; false when there is none.
    public func seek(atOrAfter target: [UInt8]) throws -> Bool {
        try target.withUnsafeBytes { raw throws in try seek(atOrAfter: raw) }
    }

    /// Calls `body` with the current entry's key and value, in place in the map.
    public func withCurrent<R>(_ body: (_ key: RawSpan, _ value: RawSpan) throws -> R) throws -> R {
        guard isOpen, positioned else { throw LMDBError(code: .notFound, operation: "cursor", detail: "\(database.name): no current entry") }
        let keyBytes = UnsafeRawBufferPointer(start: key.mv_data, count: key.mv_size)
        let valueBytes = UnsafeRawBufferPointer(start: value.mv_data, count: value.mv_size)
        return try body(RawSpan(_unsafeBytes: keyBytes), RawSpan(_unsafeBytes: valueBytes))
    }

    /// The current entry's key, copied.
    public var currentKey: [UInt8] {
        get throws { try withCurrent { key, _ in key.withUnsafeBytes { Array($0) } } }
    }

    /// Calls `body` for each entry with a key in `lowerBound ..< upperBound` (nil: unbounded), in order,
    /// until `body` returns false (`forEachBatch` a few entries at a time); the cursor is unpositioned afterwards.
    public func forEach(from lowerBound: [UInt8]? = nil, to upperBound: [UInt8]? = nil, _ body: (_ key: RawSpan, _ value: RawSpan) throws -> Bool) throws {
        try forEachBatch(from: lowerBound, to: upperBound, batchSize: 16) { entries in
            for entry in entries {
                guard try body(RawSpan(_unsafeBytes: entry.key), RawSpan(_unsafeBytes: entry.value)) else { return false }
            }
            return true
        }
    }
}

/// One entry of a batch read by `Cursor.forEachBatch`: its key and value in place in the map.
public struct CursorEntry {
    /// The key's bytes.
    public let key: UnsafeRawBufferPointer
    /// The value's bytes.
    public let value: UnsafeRawBufferPointer

    /// An entry (for a caller that merges LMDB's entries with others).
    public init(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        self.key = key
        self.value = value
    }
}

extension Cursor {
    /// Calls `body` with the entries with a key in `lowerBound ..< upperBound` (nil: unbounded), in order, up
    /// to `batchSize` at a time, until `body` returns false. For long scans: the steps through LMDB run in one
    /// loop here, and the caller loops over each batch without a call per entry. The entries' bytes are valid
    /// until the transaction ends or writes; the cursor is unpositioned afterwards.
    public func forEachBatch(from lowerBound: [UInt8]? = nil, to upperBound: [UInt8]? = nil, batchSize: Int = 256,
                             _ body: (_ entries: UnsafeBufferPointer<CursorEntry>) throws -> Bool) throws {
        guard isOpen else { throw LMDBError(code: .closed, operation: "cursor", detail: database.name) }
        precondition(batchSize > 0, "a batch of at least one entry")
        positioned = false
        try withUnsafeTemporaryAllocation(of: CursorEntry.self, capacity: batchSize) { batch in
            var keyValue = MDB_val()
            var data = MDB_val()
            var status: Int32
            if let lowerBound, !lowerBound.isEmpty {
                status = lowerBound.withUnsafeBytes { raw in
                    keyValue = MDB_val(mv_size: raw.count, mv_data: UnsafeMutableRawPointer(mutating: raw.baseAddress))
                    return mdb_cursor_get(handle, &keyValue, &data, MDB_SET_RANGE)
                }
            } else {
                status = mdb_cursor_get(handle, &keyValue, &data, MDB_FIRST)
            }
            var ended = false
            while status == 0, !ended {
                var count = 0
                while status == 0, count < batchSize {
                    let key = UnsafeRawBufferPointer(start: keyValue.mv_data, count: keyValue.mv_size)
                    if let upperBound, !upperBound.withUnsafeBytes({ precedes(key, $0) }) { ended = true; break }
                    batch.initializeElement(at: count, to: CursorEntry(key: key, value: UnsafeRawBufferPointer(start: data.mv_data, count: data.mv_size)))
                    count += 1
                    status = mdb_cursor_get(handle, &keyValue, &data, MDB_NEXT)
                }
                guard count > 0 else { break }
                guard try body(UnsafeBufferPointer(rebasing: batch[..<count])) else { return }
            }
            if status != 0, status != MDB_NOTFOUND { try check(status, "mdb_cursor_get", detail: database.name) }
        }
    }
}

/// Whether `a` sorts before `b` as LMDB orders keys (bytes unsigned, a prefix first).
@inline(__always)
private func precedes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
    let common = min(a.count, b.count)
    if common > 0 {
        let order = memcmp(a.baseAddress!, b.baseAddress!, common)
        if order != 0 { return order < 0 }
    }
    return a.count < b.count
}
