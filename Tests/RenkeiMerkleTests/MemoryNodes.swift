import RenkeiCrypto
import RenkeiMerkle

/// Perfect nodes kept in memory, filled by `MerkleFrontier` as leaves are appended; it records every read.
final class MemoryNodes: MerkleNodeReader {
    var nodes: [MerkleNodeID: SHA256Digest] = [:]
    /// The nodes read since the last `resetReads()`, in order.
    private(set) var reads: [MerkleNodeID] = []

    func hash(of id: MerkleNodeID) throws -> SHA256Digest {
        reads.append(id)
        guard let hash = nodes[id] else { throw MerkleError(.missingNode, "no node \(id)") }
        return hash
    }

    func resetReads() { reads.removeAll(keepingCapacity: true) }
}

/// The stored nodes and the frontier of the tree over `leaves`.
func makeTree(_ leaves: [[UInt8]]) -> (MemoryNodes, MerkleFrontier) {
    let store = MemoryNodes()
    var frontier = MerkleFrontier()
    for leaf in leaves {
        frontier.append(leafHash: MerkleHash.leaf(leaf)) { id, hash in store.nodes[id] = hash }
    }
    return (store, frontier)
}

/// The digest of 64 hex digits, for test vectors written out as text.
func digest(_ hex: String) -> SHA256Digest {
    guard let digest = SHA256Digest(hex: hex) else { preconditionFailure("not 64 hex digits: \(hex)") }
    return digest
}
