public import RenkeiCrypto
import RenkeiLMDB
import RenkeiMerkle
public import RenkeiModel
public import RenkeiZstd

/// What a write request's work sees: appends, blobs, dictionaries and the caller's key spaces — all
/// committed together, durably, or not at all.
///
/// Valid only inside the work closure given to `EventLog.write`; it is not `Sendable`.
public final class LogWriteTransaction {
    /// The current (nested) LMDB transaction.
    var transaction: WriteTransaction
    let store: LogStore
    let dictionaries: DictionaryRegistry
    var state: WriterState

    init(transaction: WriteTransaction, store: LogStore, dictionaries: DictionaryRegistry, state: WriterState) {
        self.transaction = transaction
        self.store = store
        self.dictionaries = dictionaries
        self.state = state
    }

    /// The last sequence number, including appends made earlier in this transaction.
    public var latestSequence: SequenceNumber { state.latest }

    /// Reads at this transaction's state (including its own uncommitted writes).
    public var snapshot: LogSnapshot { LogSnapshot(transaction: transaction, store: store, dictionaries: dictionaries) }

    /// Appends `record` with the next sequence number, and adds its leaf to the Merkle tree.
    @discardableResult
    public func append(_ record: PreparedRecord) throws -> SequenceNumber {
        let sequence = state.latest.next
        try withSequenceKey(sequence) { key in
            try record.bytes.withUnsafeBytes { value in
                try transaction.put(store.log, key: key, value: value, options: .append)
            }
        }
        try state.frontier.append(leafHash: record.leafHash) { id, hash in
            try withNodeKey(id) { key in
                try hash.withUnsafeBytes { value in try transaction.put(store.merkle, key: key, value: value, options: .append) }
            }
        }
        state.latest = sequence
        return sequence
    }

    /// Stores a file's bytes under their SHA-256 unless they are already there. Returns whether they were new.
    @discardableResult
    public func storeBlob(_ blob: PreparedBlob) throws -> Bool {
        try blob.hash.withUnsafeBytes { key in
            if try transaction.contains(store.blobs, key: key) { return false }
            try blob.stored.withUnsafeBytes { value in try transaction.put(store.blobs, key: key, value: value) }
            return true
        }
    }

    /// Whether a blob with `hash` is stored.
    public func containsBlob(_ hash: SHA256Digest) throws -> Bool {
        try hash.withUnsafeBytes { try transaction.contains(store.blobs, key: $0) }
    }

    /// Deletes the blob with `hash` (retention); the log keeps the hash. Returns whether it was there.
    @discardableResult
    public func purgeBlob(_ hash: SHA256Digest) throws -> Bool {
        try hash.withUnsafeBytes { try transaction.delete(store.blobs, key: $0) }
    }

    /// Stores `dictionary` so that records and blobs compressed with it can be read; returns whether it
    /// was new. A different dictionary with the same id is refused.
    @discardableResult
    public func installDictionary(_ dictionary: ZstdDictionary) throws -> Bool {
        let installed = try withDictionaryKey(dictionary.id) { key in
            if let existing = try transaction.get(store.dictionaries, key: key) {
                guard existing.elementsEqual(dictionary.bytes) else {
                    throw LogError(.corrupt, "a different dictionary with id \(dictionary.id) is already installed")
                }
                return false
            }
            try dictionary.bytes.withUnsafeBytes { try transaction.put(store.dictionaries, key: key, value: $0) }
            return true
        }
        dictionaries.insert(dictionary)
        return installed
    }
}
