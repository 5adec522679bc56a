public import RenkeiCrypto
import RenkeiLMDB
public import RenkeiMerkle
public import RenkeiModel
import RenkeiZstd

/// A consistent view of the log, its blobs, its Merkle tree and the caller's key spaces, as of one
/// transaction. Valid only inside the closure that received it.
public struct LogSnapshot {
    /// The LMDB transaction.
    let transaction: Transaction
    let store: LogStore
    let dictionaries: DictionaryRegistry

    init(transaction: Transaction, store: LogStore, dictionaries: DictionaryRegistry) {
        self.transaction = transaction
        self.store = store
        self.dictionaries = dictionaries
    }

    init(transaction: Transaction, log: EventLog) {
        self.init(transaction: transaction, store: log.store, dictionaries: log.dictionaries)
    }

    /// The last sequence number in this snapshot (`.zero` for an empty log).
    public func latestSequence() throws -> SequenceNumber {
        try WriterState.latest(transaction, store)
    }

    /// The record at `sequence`, or nil if the log does not reach it.
    public func record(at sequence: SequenceNumber) throws -> LogRecord? {
        try withSequenceKey(sequence) { key in
            guard let value = try transaction.get(store.log, key: key) else { return nil }
            guard let header = RecordHeader(parsing: value) else {
                throw LogError(.corrupt, "a record header of \(value.count) bytes", sequence: sequence)
            }
            return LogRecord(sequence: sequence, header: header, bytes: Array(value))
        }
    }

    /// The records in `range` that exist, in order.
    public func records(in range: ClosedRange<SequenceNumber>) throws -> [LogRecord] {
        var records: [LogRecord] = []
        try scan(from: range.lowerBound) { sequence, raw in
            guard sequence <= range.upperBound else { return false }
            guard let header = RecordHeader(parsing: raw) else {
                throw LogError(.corrupt, "a record header of \(raw.count) bytes", sequence: sequence)
            }
            records.append(LogRecord(sequence: sequence, header: header, bytes: Array(raw)))
            return true
        }
        return records
    }

    /// Calls `body` with each record's sequence and header from `start` on, without copying or
    /// decompressing anything, until `body` returns false.
    public func forEachHeader(from start: SequenceNumber = .first, _ body: (SequenceNumber, RecordHeader) throws -> Bool) throws {
        try scan(from: start) { sequence, raw in
            guard let header = RecordHeader(parsing: raw) else {
                throw LogError(.corrupt, "a record header of \(raw.count) bytes", sequence: sequence)
            }
            return try body(sequence, header)
        }
    }

    /// Calls `body` with each record's sequence and stored bytes (valid during the call) from `start` on.
    func scan(from start: SequenceNumber, _ body: (SequenceNumber, UnsafeRawBufferPointer) throws -> Bool) throws {
        try transaction.withCursor(store.log) { cursor in
            var entry = try withSequenceKey(start) { try cursor.seek(atOrAfter: $0) }
            while let current = entry {
                let sequence = SequenceNumber(UInt64(bigEndian: current.key.loadUnaligned(as: UInt64.self)))
                guard try body(sequence, current.value) else { return }
                entry = try cursor.next()
            }
        }
    }

    /// The record's body, decompressed (bounded by its header's length).
    public func body(of record: LogRecord) throws -> [UInt8] {
        let frame = record.frame
        let body = try frame.withUnsafeBytes { try Zstd.decompress($0, maximumSize: Int(record.header.bodyLength), dictionaries: dictionaries) }
        guard body.count == Int(record.header.bodyLength) else {
            throw LogError(.corrupt, "body of \(body.count) bytes, header says \(record.header.bodyLength)", sequence: record.sequence)
        }
        return body
    }

    /// Size and compression of the blob with `hash`, or nil if it is not stored (never, or purged).
    public func blobInfo(_ hash: SHA256Digest) throws -> BlobInfo? {
        try hash.withUnsafeBytes { key in
            guard let value = try transaction.get(store.blobs, key: key) else { return nil }
            guard let (dictionaryID, size) = BlobHeader.parse(value) else { throw LogError(.corrupt, "blob \(hash.hex) header") }
            return BlobInfo(hash: hash, size: size, storedSize: value.count, dictionaryID: dictionaryID)
        }
    }

    /// The bytes of the blob with `hash`, decompressed and checked against the hash; nil if not stored.
    public func blob(_ hash: SHA256Digest) throws -> [UInt8]? {
        try hash.withUnsafeBytes { key in
            guard let value = try transaction.get(store.blobs, key: key) else { return nil }
            guard let (_, size) = BlobHeader.parse(value) else { throw LogError(.corrupt, "blob \(hash.hex) header") }
            let bytes = try Zstd.decompress(UnsafeRawBufferPointer(rebasing: value[BlobHeader.size...]), maximumSize: size, dictionaries: dictionaries)
            guard bytes.count == size, SHA256.hash(bytes) == hash else { throw LogError(.corrupt, "blob \(hash.hex) does not match its hash") }
            return bytes
        }
    }

    /// The Merkle tree over the records of this snapshot.
    public var merkleTree: MerkleTree<some MerkleNodeReader> {
        MerkleTree(nodes: StoredMerkleNodes(transaction: transaction, database: store.merkle))
    }

    /// The root of the tree over the first `size` records (default: all of them).
    public func merkleRoot(size: UInt64? = nil) throws -> SHA256Digest {
        let latest = try latestSequence().rawValue
        let size = size ?? latest
        guard size <= latest else { throw LogError(.outOfRange, "tree size \(size) beyond the log's \(latest) records") }
        return try merkleTree.root(size: size)
    }

    /// The inclusion proof of the record at `sequence` in the tree of `size` records.
    public func inclusionProof(of sequence: SequenceNumber, treeSize size: UInt64) throws -> [SHA256Digest] {
        let latest = try latestSequence().rawValue
        guard size <= latest, sequence.rawValue >= 1, sequence.rawValue <= size else {
            throw LogError(.outOfRange, "record \(sequence) in a tree of \(size) (log has \(latest))")
        }
        return try merkleTree.inclusionProof(leaf: sequence.rawValue - 1, size: size)
    }

    /// The consistency proof between the trees of `oldSize` and `newSize` records.
    public func consistencyProof(from oldSize: UInt64, to newSize: UInt64) throws -> [SHA256Digest] {
        let latest = try latestSequence().rawValue
        guard oldSize <= newSize, newSize <= latest else {
            throw LogError(.outOfRange, "sizes \(oldSize) → \(newSize) (log has \(latest))")
        }
        return try merkleTree.consistencyProof(from: oldSize, to: newSize)
    }
}

extension WriterState {
    static func latest(_ txn: Transaction, _ store: LogStore) throws -> SequenceNumber {
        try txn.withCursor(store.log) { cursor -> SequenceNumber in
            guard let last = try cursor.last() else { return .zero }
            guard last.key.count == 8 else { throw LogError(.corrupt, "a log key of \(last.key.count) bytes") }
            return SequenceNumber(UInt64(bigEndian: last.key.loadUnaligned(as: UInt64.self)))
        }
    }
}
