import RenkeiCrypto
import RenkeiLMDB
import RenkeiMerkle
import RenkeiModel
import RenkeiStore
import RenkeiZstd

/// A consistent view of the store as of one snapshot (LMDB's, with the acknowledged change sets it does
/// not hold yet on top). Its reads never suspend.
struct LMDBSnapshot: StoreSnapshot {
    let view: StoreView
    var store: LogStore { view.store }

    private var tree: MerkleTree<ViewMerkleNodes> { MerkleTree(nodes: view.merkleNodes) }

    func latestSequence() async throws -> SequenceNumber { try view.latest() }

    func event(at sequence: SequenceNumber) async throws -> Event? {
        try view.withValue(store.log, key: sequenceKey(sequence)) { try decodeEvent($0, sequence) }
    }

    func events(from start: SequenceNumber, limit: Int) async throws -> [Event] {
        var events: [Event] = []
        try scan(from: start, limit: limit) { sequence, raw in events.append(try decodeEvent(raw, sequence)) }
        return events
    }

    func envelopes(from start: SequenceNumber, limit: Int) async throws -> [EventEnvelope] {
        guard limit > 0 else { return [] }
        var envelopes: [EventEnvelope] = []
        envelopes.reserveCapacity(min(limit, 10_000))
        // A catch-up reads millions of these: the envelopes alone, decoded in place, a batch of entries at a time.
        try view.forEachBatch(store.log, from: sequenceKey(start), readAhead: min(limit, 256)) { entries in
            for entry in entries {
                envelopes.append(try StoredEvent.envelope(entry.value, sequence: try logSequence(entry.key)))
                guard envelopes.count < limit else { return false }
            }
            return true
        }
        return envelopes
    }

    /// Calls `body` with up to `limit` stored events from `start` on (each buffer valid during its call).
    func scan(from start: SequenceNumber, limit: Int = .max, _ body: (SequenceNumber, UnsafeRawBufferPointer) throws -> Void) throws {
        guard limit > 0 else { return }
        var count = 0
        try view.forEachBatch(store.log, from: sequenceKey(start), readAhead: min(limit, 256)) { entries in
            for entry in entries {
                try body(try logSequence(entry.key), entry.value)
                count += 1
                guard count < limit else { return false }
            }
            return true
        }
    }

    /// The sequence number a `log` key holds.
    @inline(__always)
    private func logSequence(_ key: UnsafeRawBufferPointer) throws -> SequenceNumber {
        guard key.count == 8 else { throw StoreError(.corrupt, "a log key of \(key.count) bytes") }
        return SequenceNumber(UInt64(bigEndian: key.loadUnaligned(as: UInt64.self)))
    }

    /// The event stored in `raw`, its body decompressed (bounded by its stated length).
    func decodeEvent(_ raw: UnsafeRawBufferPointer, _ sequence: SequenceNumber) throws -> Event {
        let (envelope, dictionaryID, length, frameStart) = try StoredEvent.decode(raw, sequence: sequence)
        let body: [UInt8]
        do {
            body = try Zstd.decompress(UnsafeRawBufferPointer(rebasing: raw[frameStart...]), maximumSize: length, dictionaries: store.registry)
        } catch {
            throw StoreError(.corrupt, "the body does not decompress: \(error)", sequence: sequence)
        }
        guard body.count == length, dictionaryID == nil || store.registry.dictionary(id: dictionaryID!) != nil else {
            throw StoreError(.corrupt, "a body of \(body.count) bytes, the record says \(length)", sequence: sequence)
        }
        return Event(envelope: envelope, body: body)
    }

    func blobInfo(_ hash: SHA256Digest) async throws -> BlobInfo? {
        try view.withValue(store.blobs, key: hash.bytes) { value in
            guard let (header, _) = StoredBlobHeader.decode(value) else { throw StoreError(.corrupt, "blob \(hash.hex) header") }
            return header.info(hash)
        }
    }

    func dictionary(id: UInt32) async throws -> [UInt8]? { store.registry.dictionary(id: id)?.bytes }

    func blob(_ hash: SHA256Digest) async throws -> [UInt8]? {
        let found = try view.withValue(store.blobs, key: hash.bytes) { raw -> [UInt8]? in
            guard let (header, length) = StoredBlobHeader.decode(raw) else { throw StoreError(.corrupt, "blob \(hash.hex) header") }
            guard raw.count > length else { return nil }
            let bytes: [UInt8]
            do {
                bytes = try Zstd.decompress(UnsafeRawBufferPointer(rebasing: raw[length...]), maximumSize: header.size, dictionaries: store.registry)
            } catch {
                throw StoreError(.corrupt, "blob \(hash.hex) does not decompress: \(error)")
            }
            guard bytes.count == header.size, SHA256.hash(bytes) == hash else { throw StoreError(.corrupt, "blob \(hash.hex) does not match its hash") }
            return bytes
        }
        return found ?? nil
    }

    func value(forKey key: [UInt8], in space: KeySpace) async throws -> [UInt8]? {
        try KeySpace.validate(key: key)
        return try view.get(store.database(space), key: key)
    }

    func entries(in space: KeySpace, from lowerBound: [UInt8]?, to upperBound: [UInt8]?, limit: Int) async throws -> [KeyValue] {
        var entries: [KeyValue] = []
        guard limit > 0 else { return entries }
        try view.forEach(store.database(space), from: lowerBound.flatMap { $0.isEmpty ? nil : $0 }, to: upperBound) { key, value in
            entries.append(KeyValue(key: Array(key), value: Array(value)))
            return entries.count < limit
        }
        return entries
    }

    func count(in space: KeySpace) async throws -> Int { try view.count(store.database(space)) }

    func digest(of space: KeySpace) async throws -> SHA256Digest {
        var digest = KeySpaceDigest()
        try view.forEach(store.database(space)) { key, value in
            digest.add(key: key, value: value)
            return true
        }
        return digest.finalize()
    }

    func merkleRoot(treeSize: UInt64) async throws -> SHA256Digest {
        let size = try view.latest().rawValue
        guard treeSize <= size else { throw StoreError(.outOfRange, "tree size \(treeSize) beyond the log's \(size) events") }
        return try merkle { try tree.root(size: treeSize) }
    }

    func inclusionProof(of sequence: SequenceNumber, treeSize: UInt64) async throws -> [SHA256Digest] {
        let size = try view.latest().rawValue
        guard treeSize <= size, sequence.rawValue >= 1, sequence.rawValue <= treeSize else {
            throw StoreError(.outOfRange, "event \(sequence) in a tree of \(treeSize) (the log has \(size))")
        }
        return try merkle { try tree.inclusionProof(leaf: sequence.rawValue - 1, size: treeSize) }
    }

    func consistencyProof(from oldSize: UInt64, to newSize: UInt64) async throws -> [SHA256Digest] {
        let size = try view.latest().rawValue
        guard oldSize <= newSize, newSize <= size else {
            throw StoreError(.outOfRange, "tree sizes \(oldSize) → \(newSize) (the log has \(size))")
        }
        return try merkle { try tree.consistencyProof(from: oldSize, to: newSize) }
    }

    private func merkle<R>(_ body: () throws -> R) throws -> R {
        do { return try body() } catch let error as MerkleError { throw StoreError(.corrupt, error.description) }
    }
}
