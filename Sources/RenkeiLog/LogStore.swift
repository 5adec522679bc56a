import RenkeiCrypto
import RenkeiLMDB
import RenkeiMerkle
import RenkeiModel
import RenkeiStore
import RenkeiZstd
import Synchronization

/// The named databases of the store's LMDB environment and how their keys are spelled.
///
/// - `log`: 8-byte big-endian sequence → `StoredEvent`, appended with `MDB_APPEND`.
/// - `merkle`: post-order position (8 bytes, big-endian) → the 32-byte hash of that perfect node.
/// - `blobs`: SHA-256 of the raw bytes → `StoredBlobHeader` and the zstd frame.
/// - `dicts`: 4-byte big-endian zstd dictionary id → the dictionary's bytes.
/// - `meta`: `format` (1 byte), `identity` (the store's id), `created` (8 bytes, µs).
/// - `k:<name>`: one database per key space, the built-in `_applied` and `_checkpoints` included.
struct LogStore: Sendable {
    let environment: Environment
    let log: Database
    let merkle: Database
    let blobs: Database
    let dictionaries: Database
    let meta: Database
    let keySpaces: [KeySpace: Database]
    /// Every database, by `Database.id` and by name.
    let tablesByID: [UInt32: Database]
    let tablesByName: [String: Database]
    let registry: DictionaryRegistry

    /// The storage format this code reads and writes: 2 (format 1 had no actors, request ids or blob
    /// references, and is refused).
    static let storageFormat: UInt8 = 2

    init(environment: Environment, keySpaces: [KeySpace]) throws {
        self.environment = environment
        log = try environment.database(named: "log")
        merkle = try environment.database(named: "merkle")
        blobs = try environment.database(named: "blobs")
        dictionaries = try environment.database(named: "dicts")
        meta = try environment.database(named: "meta")
        var spaces: [KeySpace: Database] = [:]
        for space in keySpaces + KeySpace.builtIn {
            spaces[space] = try environment.database(named: "k:" + space.name)
        }
        self.keySpaces = spaces
        let tables = [log, merkle, blobs, dictionaries, meta] + spaces.values
        tablesByID = Dictionary(uniqueKeysWithValues: tables.map { ($0.id, $0) })
        tablesByName = Dictionary(uniqueKeysWithValues: tables.map { ($0.name, $0) })
        let registry = DictionaryRegistry()
        let dictionaryDatabase = dictionaries
        try environment.read { txn in
            try txn.withCursor(dictionaryDatabase) { cursor in
                try cursor.forEach { _, value in
                    registry.insert(try ZstdDictionary(bytes: value.withUnsafeBytes { Array($0) }))
                    return true
                }
            }
        }
        self.registry = registry
    }

    func database(_ space: KeySpace) throws -> Database {
        guard let database = keySpaces[space] else { throw StoreError(.unknownKeySpace, "\(space) was not declared when the store was opened") }
        return database
    }
}

/// The 8-byte key of `sequence` in `log`.
@inline(__always)
func sequenceKey(_ sequence: SequenceNumber) -> [UInt8] {
    withUnsafeBytes(of: sequence.rawValue.bigEndian) { Array($0) }
}

/// The 8-byte key of a Merkle node: its position in post-order (the order in which appends complete
/// nodes), big-endian. The nodes one append completes have consecutive positions after every earlier node.
@inline(__always)
func nodeKey(_ id: MerkleNodeID) -> [UInt8] {
    withUnsafeBytes(of: postOrderPosition(id).bigEndian) { Array($0) }
}

/// The post-order position of a perfect node: leaf `j` is at `2j − popcount(j)`, and the node at level `h`
/// directly follows the last leaf it covers, `h` places on.
@inline(__always)
func postOrderPosition(_ id: MerkleNodeID) -> UInt64 {
    let lastLeaf = ((id.index + 1) << UInt64(id.level)) - 1
    return 2 * lastLeaf - UInt64(lastLeaf.nonzeroBitCount) + UInt64(id.level)
}

/// The 4-byte key of a dictionary id in `dicts`.
@inline(__always)
func dictionaryKey(_ id: UInt32) -> [UInt8] {
    withUnsafeBytes(of: id.bigEndian) { Array($0) }
}

/// The last sequence in the `log` database of a transaction.
func lastSequence(_ txn: Transaction, _ store: LogStore) throws -> SequenceNumber {
    try txn.withCursor(store.log) { cursor -> SequenceNumber in
        guard try cursor.last() else { return .zero }
        let key = try cursor.currentKey
        guard key.count == 8 else { throw StoreError(.corrupt, "a log key of \(key.count) bytes") }
        return SequenceNumber(bigEndianBytes: key)!
    }
}

/// The dictionaries a store holds, by id: loaded at open, extended only after a commit that installed
/// one has succeeded (so nothing is ever compressed with a dictionary the store does not hold).
final class DictionaryRegistry: ZstdDictionaryProvider, Sendable {
    private let dictionaries = Mutex(ZstdDictionarySet())

    func dictionary(id: UInt32) -> ZstdDictionary? { dictionaries.withLock { $0.dictionary(id: id) } }
    func insert(_ dictionary: ZstdDictionary) { dictionaries.withLock { $0.insert(dictionary) } }
}

/// Maps an engine error to the store's own; a `StoreError` or a caller's error passes through.
func storeError(_ error: any Error) -> any Error {
    switch error {
    case let error as LMDBError:
        switch error.code {
        case .mapFull, .diskFull: StoreError(.storageFull, error.description)
        case .closed: StoreError(.closed, error.description)
        case .corrupted, .invalid, .panic: StoreError(.corrupt, error.description)
        case .versionMismatch, .incompatible: StoreError(.unsupportedFormat, error.description)
        case .mapResized: StoreError(.ioFailure, "the writer resized the store; reopen it: \(error.description)")
        default: StoreError(.ioFailure, error.description)
        }
    case let error as ZstdError:
        StoreError(.corrupt, error.description)
    default:
        error
    }
}
