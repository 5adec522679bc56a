internal import CLMDB

/// A named database inside an `Environment`: a sorted key space.
///
/// A handle is valid for the environment's life and may be shared between threads.
public struct Database: Hashable, Sendable, CustomStringConvertible {
    let dbi: UInt32
    /// The database's name in the environment.
    public let name: String
    /// A small number naming the database while the environment is open (LMDB's handle), for tables
    /// indexed by database.
    public var id: UInt32 { dbi }

    public var description: String { "database \(name)" }
}

/// How `WriteTransaction.put` treats the key.
public struct PutOptions: OptionSet, Sendable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Fail with `.keyExists` when the key is present (`MDB_NOOVERWRITE`).
    public static let noOverwrite = PutOptions(rawValue: UInt32(MDB_NOOVERWRITE))
    /// The key sorts after every key in the database, so LMDB appends without searching (`MDB_APPEND`);
    /// a key out of order fails with `.keyExists`.
    public static let append = PutOptions(rawValue: UInt32(MDB_APPEND))
}

/// Sizes of an environment, for monitoring and for the growth policy.
public struct EnvironmentInfo: Sendable, Hashable {
    /// The current map size in bytes (the most the data file can hold before it grows).
    public var mapSize: Int
    /// Bytes in use: pages up to the last one written.
    public var usedBytes: Int
    /// The page size.
    public var pageSize: Int
    /// The id of the last committed write transaction.
    public var lastTransactionID: Int
    /// Reader slots in use.
    public var readersInUse: Int
}
