import RenkeiLMDB

/// A named, sorted key space beside the log — where the domain keeps its projections (mailboxes, offices,
/// audit indexes, idempotency keys). Written in the same transaction as the events they are folded from,
/// so a projection never disagrees with the log it was built from.
///
/// Key spaces are declared when the log is opened (`EventLog.Configuration.keySpaces`) and found with
/// `EventLog.keySpace(named:)`. Keys are 1 to 511 bytes and sort bytewise; values are any bytes.
/// This, with appends, reads and tails, is the whole storage interface the domain uses, so that another
/// engine (PostgreSQL, for the multi-node deployment) can implement it.
public struct KeySpace: Hashable, Sendable, CustomStringConvertible {
    /// The name it was declared with.
    public let name: String
    let database: Database

    public var description: String { "key space \(name)" }
}

extension LogWriteTransaction {
    /// Stores `value` under `key` in `space`, replacing any value there.
    public func put(_ value: [UInt8], forKey key: [UInt8], in space: KeySpace) throws {
        try transaction.put(space.database, key: key, value: value)
    }

    /// Removes `key` from `space`; returns whether it was there.
    @discardableResult
    public func removeValue(forKey key: [UInt8], in space: KeySpace) throws -> Bool {
        try transaction.delete(space.database, key: key)
    }
}

extension LogSnapshot {
    /// The value under `key` in `space`, or nil.
    public func value(forKey key: [UInt8], in space: KeySpace) throws -> [UInt8]? {
        try transaction.get(space.database, key: key)
    }

    /// Calls `body` with each key and value of `space` whose key is in `lowerBound ..< upperBound` (nil:
    /// unbounded), in key order, until `body` returns false. The buffers are valid during the call only.
    public func forEach(in space: KeySpace, from lowerBound: [UInt8]? = nil, to upperBound: [UInt8]? = nil,
                        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Bool) throws {
        try transaction.withCursor(space.database) { cursor in
            try cursor.forEach(from: lowerBound, to: upperBound) { entry in try body(entry.key, entry.value) }
        }
    }

    /// The number of keys in `space`.
    public func count(in space: KeySpace) throws -> Int {
        try transaction.count(space.database)
    }
}
