import RenkeiCrypto
import RenkeiMerkle
import RenkeiModel

/// A copy of an in-memory store's state (copy-on-write: cheap until the store changes).
struct InMemorySnapshot: StoreSnapshot {
    let state: InMemoryEventStore.State

    private struct Nodes: MerkleNodeReader {
        let nodes: [MerkleNodeID: SHA256Digest]
        func hash(of id: MerkleNodeID) throws -> SHA256Digest {
            guard let hash = nodes[id] else { throw StoreError(.corrupt, "Merkle node \(id) is missing") }
            return hash
        }
    }

    private var size: UInt64 { UInt64(state.events.count) }

    func dictionary(id: UInt32) async throws -> [UInt8]? { state.dictionaries[id] }
    private var tree: MerkleTree<Nodes> { MerkleTree(nodes: Nodes(nodes: state.nodes)) }

    func latestSequence() async throws -> SequenceNumber { SequenceNumber(size) }

    func event(at sequence: SequenceNumber) async throws -> Event? {
        guard sequence.rawValue >= 1, sequence.rawValue <= size else { return nil }
        return state.events[Int(sequence.rawValue - 1)]
    }

    func events(from start: SequenceNumber, limit: Int) async throws -> [Event] {
        let first = Int(max(start.rawValue, 1) - 1)
        guard first < state.events.count, limit > 0 else { return [] }
        return Array(state.events[first ..< min(state.events.count, first + limit)])
    }

    func envelopes(from start: SequenceNumber, limit: Int) async throws -> [EventEnvelope] {
        try await events(from: start, limit: limit).map(\.envelope)
    }

    func blobInfo(_ hash: SHA256Digest) async throws -> BlobInfo? { state.blobs[hash]?.info }

    func blob(_ hash: SHA256Digest) async throws -> [UInt8]? { state.blobs[hash]?.bytes }

    func value(forKey key: [UInt8], in space: KeySpace) async throws -> [UInt8]? {
        try values(space)[key]
    }

    func entries(in space: KeySpace, from lowerBound: [UInt8]?, to upperBound: [UInt8]?, limit: Int) async throws -> [KeyValue] {
        try values(space).entries(from: lowerBound, to: upperBound, limit: max(0, limit))
    }

    func count(in space: KeySpace) async throws -> Int { try values(space).count }

    func digest(of space: KeySpace) async throws -> SHA256Digest {
        let values = try values(space)
        var digest = KeySpaceDigest()
        for (key, value) in zip(values.keys, values.values) { digest.add(key: key, value: value) }
        return digest.finalize()
    }

    private func values(_ space: KeySpace) throws -> SortedKeyValues {
        guard let values = state.keySpaces[space] else { throw StoreError(.unknownKeySpace, "\(space) was not declared") }
        return values
    }

    func merkleRoot(treeSize: UInt64) async throws -> SHA256Digest {
        guard treeSize <= size else { throw StoreError(.outOfRange, "tree size \(treeSize) beyond the log's \(size) events") }
        return try tree.root(size: treeSize)
    }

    func inclusionProof(of sequence: SequenceNumber, treeSize: UInt64) async throws -> [SHA256Digest] {
        guard treeSize <= size, sequence.rawValue >= 1, sequence.rawValue <= treeSize else {
            throw StoreError(.outOfRange, "event \(sequence) in a tree of \(treeSize) (the log has \(size))")
        }
        return try tree.inclusionProof(leaf: sequence.rawValue - 1, size: treeSize)
    }

    func consistencyProof(from oldSize: UInt64, to newSize: UInt64) async throws -> [SHA256Digest] {
        guard oldSize <= newSize, newSize <= size else {
            throw StoreError(.outOfRange, "tree sizes \(oldSize) → \(newSize) (the log has \(size))")
        }
        return try tree.consistencyProof(from: oldSize, to: newSize)
    }
}
