import RenkeiCrypto
import RenkeiLMDB
import RenkeiMerkle
import RenkeiModel
import RenkeiZstd
import Synchronization

/// The named databases of a log's environment and how their keys are spelled.
///
/// - `log`: 8-byte big-endian sequence → record (`RecordHeader` + zstd frame), appended with `MDB_APPEND`.
/// - `merkle`: post-order position (8 bytes, big-endian) → the 32-byte hash of that perfect node.
/// - `blobs`: SHA-256 of the raw bytes → `BlobHeader` + zstd frame.
/// - `dicts`: 4-byte big-endian zstd dictionary id → the dictionary's bytes.
/// - `meta`: small settings, such as `format`.
struct LogStore: Sendable {
    let environment: Environment
    let log: Database
    let merkle: Database
    let blobs: Database
    let dictionaries: Database
    let meta: Database
    let keySpaces: [String: KeySpace]

    /// The storage format this code reads and writes.
    static let storageFormat: UInt8 = 1

    init(environment: Environment, keySpaceNames: [String]) throws {
        self.environment = environment
        log = try environment.database(named: "log")
        merkle = try environment.database(named: "merkle")
        blobs = try environment.database(named: "blobs")
        dictionaries = try environment.database(named: "dicts")
        meta = try environment.database(named: "meta")
        let reserved: Set = ["log", "merkle", "blobs", "dicts", "meta"]
        var keySpaces: [String: KeySpace] = [:]
        for name in keySpaceNames {
            guard !reserved.contains(name) else { throw LogError(.outOfRange, "\(name) is the name of one of the log's own databases") }
            keySpaces[name] = KeySpace(name: name, database: try environment.database(named: name))
        }
        self.keySpaces = keySpaces
        let formatKey = Array("format".utf8)
        try environment.write { txn in
            if let stored = try txn.get(meta, key: formatKey) {
                guard stored == [Self.storageFormat] else {
                    throw LogError(.unsupportedFormat, "the data folder has storage format \(stored), this program reads \(Self.storageFormat)")
                }
            } else {
                try txn.put(meta, key: formatKey, value: [Self.storageFormat])
            }
        }
    }

    static func key(_ sequence: SequenceNumber) -> UInt64 { sequence.rawValue.bigEndian }
}

/// Calls `body` with the 8-byte key of `sequence`.
@inline(__always)
func withSequenceKey<R>(_ sequence: SequenceNumber, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    try withUnsafeBytes(of: sequence.rawValue.bigEndian, body)
}

/// Calls `body` with the 8-byte key of a Merkle node: its position in post-order (the order in which
/// appends complete nodes), big-endian. The nodes one append completes have consecutive positions after
/// every earlier node, so they are stored with `MDB_APPEND` onto the same page.
@inline(__always)
func withNodeKey<R>(_ id: MerkleNodeID, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    try withUnsafeBytes(of: postOrderPosition(id).bigEndian, body)
}

/// The post-order position of a perfect node: leaf `j` is at `2j − popcount(j)`, and the node at level `h`
/// directly follows the last leaf it covers, `h` places on.
@inline(__always)
func postOrderPosition(_ id: MerkleNodeID) -> UInt64 {
    let lastLeaf = ((id.index + 1) << UInt64(id.level)) - 1
    return 2 * lastLeaf - UInt64(lastLeaf.nonzeroBitCount) + UInt64(id.level)
}

/// Calls `body` with the 4-byte key of a dictionary id.
@inline(__always)
func withDictionaryKey<R>(_ id: UInt32, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    try withUnsafeBytes(of: id.bigEndian, body)
}

/// Reads the Merkle tree's perfect nodes from the `merkle` database inside a transaction.
struct StoredMerkleNodes: MerkleNodeReader {
    let transaction: Transaction
    let database: Database

    func hash(of id: MerkleNodeID) throws -> SHA256Digest {
        try withNodeKey(id) { key in
            guard let value = try transaction.get(database, key: key), value.count == SHA256Digest.byteCount else {
                throw LogError(.corrupt, "Merkle node \(id) is missing")
            }
            return SHA256Digest(loadingFrom: value)
        }
    }
}

/// The dictionaries a log holds, by id; loaded at open and extended as dictionaries are installed.
final class DictionaryRegistry: ZstdDictionaryProvider, Sendable {
    private let dictionaries = Mutex(ZstdDictionarySet())

    func dictionary(id: UInt32) -> ZstdDictionary? { dictionaries.withLock { $0.dictionary(id: id) } }
    func insert(_ dictionary: ZstdDictionary) { dictionaries.withLock { $0.insert(dictionary) } }
}
