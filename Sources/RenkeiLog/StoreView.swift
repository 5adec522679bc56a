import RenkeiCrypto
import RenkeiLMDB
import RenkeiMerkle
import RenkeiModel
import RenkeiStore

/// The store as one snapshot: an LMDB read transaction with the published change sets LMDB does not
/// hold yet layered over it, newest on top. Reads see every write acknowledged before the view was made.
///
/// The change sets are those published when the view was made, less the ones LMDB's snapshot already
/// holds (the `wal` record in `meta` names the last group applied). A change set never straddles a
/// checkpoint, so a set is either wholly in LMDB or wholly above it.
struct StoreView {
    let transaction: Transaction
    let store: LogStore
    /// Newest last.
    let layers: [ChangeSet]

    init(transaction: Transaction, store: LogStore, published: [ChangeSet]) throws {
        self.transaction = transaction
        self.store = store
        if published.isEmpty {
            layers = []
        } else {
            let applied = try WALCheckpoint.read(transaction, store).group
            layers = published.filter { $0.groups.lowerBound > applied }
        }
    }

    /// The log's last sequence in this view.
    func latest() throws -> SequenceNumber {
        if let top = layers.last { return top.latest }
        return try lastSequence(transaction, store)
    }

    /// What the layers say about `key` (nil: ask LMDB).
    @inline(__always)
    private func layered(_ database: Database, _ key: [UInt8]) -> [UInt8]?? {
        let key = StoreKey(key)
        for layer in layers.reversed() {
            if let found = layer.tables[database.id]?.changesLookup(key) { return found }
        }
        return nil
    }

    /// Calls `body` with the value under `key` and returns its result; nil when absent.
    func withValue<R>(_ database: Database, key: [UInt8], _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R? {
        if !layers.isEmpty, let found = layered(database, key) {
            guard let value = found else { return nil }
            return try value.withUnsafeBytes(body)
        }
        return try key.withUnsafeBytes { raw in
            try transaction.withValue(database, key: raw) { span in try span.withUnsafeBytes(body) }
        }
    }

    /// The value under `key`, copied.
    func get(_ database: Database, key: [UInt8]) throws -> [UInt8]? {
        try withValue(database, key: key) { Array($0) }
    }

    /// Calls `body` for each entry with a key in `lowerBound ..< upperBound` (nil: unbounded), in key order,
    /// until it returns false: LMDB's entries merged with the layers', the newest word on each key winning.
    func forEach(_ database: Database, from lowerBound: [UInt8]? = nil, to upperBound: [UInt8]? = nil,
                 _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Bool) throws {
        try forEachBatch(database, from: lowerBound, to: upperBound, readAhead: 16) { entries in
            for entry in entries { guard try body(entry.key, entry.value) else { return false } }
            return true
        }
    }

    /// `forEach` a batch of entries at a time, for long scans: with nothing on top of LMDB (the usual case
    /// once checkpoints have caught up) its entries come `readAhead` at a time, without a call per entry;
    /// merged with layers, one at a time.
    func forEachBatch(_ database: Database, from lowerBound: [UInt8]? = nil, to upperBound: [UInt8]? = nil, readAhead: Int,
                      _ body: (_ entries: UnsafeBufferPointer<CursorEntry>) throws -> Bool) throws {
        let (tables, lmdbVisible) = layerTables(database)
        guard tables.isEmpty else {
            return try forEachMerged(database, tables, lmdbVisible: lmdbVisible, from: lowerBound, to: upperBound) { key, value in
                try withUnsafeTemporaryAllocation(of: CursorEntry.self, capacity: 1) { one in
                    one.initializeElement(at: 0, to: CursorEntry(key: key, value: value))
                    return try body(UnsafeBufferPointer(one))
                }
            }
        }
        try transaction.withCursor(database) { cursor in
            try cursor.forEachBatch(from: lowerBound, to: upperBound, batchSize: readAhead, body)
        }
    }

    /// The layers that touch `database`, newest first, down to the newest that cleared it; and whether
    /// LMDB's own entries show below them.
    private func layerTables(_ database: Database) -> (tables: [FrozenTable], lmdbVisible: Bool) {
        var tables: [FrozenTable] = []
        for layer in layers.reversed() {
            guard let table = layer.tables[database.id] else { continue }
            tables.append(table)
            if table.cleared { return (tables, false) }
        }
        return (tables, true)
    }

    private func forEachMerged(_ database: Database, _ tables: [FrozenTable], lmdbVisible: Bool, from lowerBound: [UInt8]?, to upperBound: [UInt8]?,
                               _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Bool) throws {
        var positions = tables.map { $0.firstIndex(atOrAfter: lowerBound) }
        /// The smallest next key among the layers (within the range), and the newest layer holding it.
        func nextLayerKey() -> (key: [UInt8], speaker: Int)? {
            var best: (key: [UInt8], speaker: Int)? = nil
            for (index, table) in tables.enumerated() where positions[index] < table.sorted.count {
                let key = table.sorted[positions[index]].key.bytes
                if best == nil || compareKeys(key, best!.key) < 0 { best = (key, index) }
            }
            guard let best, upperBound.map({ compareKeys(best.key, $0) < 0 }) ?? true else { return nil }
            return best
        }
        enum Step { case emitted, stop, end, shadowed, layerFirst }
        try transaction.withCursor(database) { cursor in
            var lmdbValid = try lmdbVisible && (lowerBound.map { try cursor.seek(atOrAfter: $0) } ?? cursor.first())
            var layerKey = nextLayerKey()
            while true {
                // LMDB's entries before the layers' next key, compared in place.
                scan: while lmdbValid {
                    let step = try cursor.withCurrent { key, value -> Step in
                        try key.withUnsafeBytes { k -> Step in
                            if let upperBound, upperBound.withUnsafeBytes({ compareKeys(k, $0) }) >= 0 { return .end }
                            if let layerKey {
                                let order = layerKey.key.withUnsafeBytes { compareKeys(k, $0) }
                                if order == 0 { return .shadowed }
                                if order > 0 { return .layerFirst }
                            }
                            return try value.withUnsafeBytes { v in try body(k, v) } ? .emitted : .stop
                        }
                    }
                    switch step {
                    case .emitted: lmdbValid = try cursor.next()
                    case .stop: return
                    case .end: lmdbValid = false
                    case .shadowed: lmdbValid = try cursor.next(); break scan
                    case .layerFirst: break scan
                    }
                }
                guard let (key, speaker) = layerKey else { return }
                let value = tables[speaker].sorted[positions[speaker]].value
                for index in tables.indices where positions[index] < tables[index].sorted.count && tables[index].sorted[positions[index]].key.bytes == key {
                    positions[index] += 1
                }
                if let value {
                    let more = try key.withUnsafeBytes { k in try value.withUnsafeBytes { v in try body(k, v) } }
                    guard more else { return }
                }
                layerKey = nextLayerKey()
            }
        }
    }

    /// How many entries the table holds in this view.
    func count(_ database: Database) throws -> Int {
        var decided: [StoreKey: Bool] = [:]
        var lmdbVisible = true
        for layer in layers.reversed() {
            guard let table = layer.tables[database.id] else { continue }
            for (key, value) in table.values where decided[key] == nil { decided[key] = value != nil }
            if table.cleared { lmdbVisible = false; break }
        }
        guard lmdbVisible else { return decided.values.filter { $0 }.count }
        var count = try transaction.count(database)
        for (key, present) in decided {
            let inLMDB = try key.bytes.withUnsafeBytes { try transaction.contains(database, key: $0) }
            count += (present ? 1 : 0) - (inLMDB ? 1 : 0)
        }
        return count
    }

    /// The Merkle tree's stored nodes in this view.
    var merkleNodes: ViewMerkleNodes { ViewMerkleNodes(view: self) }
}

extension FrozenTable {
    @inline(__always)
    func changesLookup(_ key: StoreKey) -> [UInt8]?? {
        if let found = values[key] { return .some(found) }
        return cleared ? .some(nil) : nil
    }
}

/// Reads the Merkle tree's perfect nodes through a view.
struct ViewMerkleNodes: MerkleNodeReader {
    let view: StoreView

    func hash(of id: MerkleNodeID) throws -> SHA256Digest {
        let hash = try view.withValue(view.store.merkle, key: nodeKey(id)) { value -> SHA256Digest? in
            guard value.count == SHA256Digest.byteCount else { return nil }
            return SHA256Digest(loadingFrom: value)
        }
        guard let found = hash ?? nil else { throw StoreError(.corrupt, "Merkle node \(id) is missing") }
        return found
    }
}
