public import RenkeiCrypto

/// Roots and proofs of the RFC 9162 tree over the first `size` leaves, computed from stored perfect nodes
/// with O(log n) reads each.
///
/// `MerkleTree` only reads; `MerkleFrontier` says which nodes to store as leaves are appended.
public struct MerkleTree<Reader: MerkleNodeReader> {
    /// Where the perfect nodes are read from.
    public let nodes: Reader

    /// A tree reading its nodes from `nodes`.
    public init(nodes: Reader) { self.nodes = nodes }

    /// The root hash of the tree of the first `size` leaves (`MerkleHash.empty` for 0).
    public func root(size: UInt64) throws -> SHA256Digest {
        size == 0 ? MerkleHash.empty : try subtreeHash(0, size)
    }

    /// The inclusion proof (audit path) of leaf `index` in the tree of `size` leaves, RFC 9162 §2.1.3.1.
    public func inclusionProof(leaf index: UInt64, size: UInt64) throws -> [SHA256Digest] {
        guard index < size else { throw MerkleError("leaf \(index) is not in a tree of \(size) leaves") }
        var proof = [SHA256Digest]()
        try path(index, 0, size, into: &proof)
        return proof
    }

    /// The consistency proof between the trees of `oldSize` and `newSize` leaves, RFC 9162 §2.1.4.1.
    public func consistencyProof(from oldSize: UInt64, to newSize: UInt64) throws -> [SHA256Digest] {
        guard oldSize <= newSize else { throw MerkleError("old size \(oldSize) is larger than new size \(newSize)") }
        guard oldSize > 0, oldSize < newSize else { return [] }
        var proof = [SHA256Digest]()
        try subproof(oldSize, 0, newSize, complete: true, into: &proof)
        return proof
    }

    /// MTH(D[start ..< end]); `start` is a multiple of the largest power of two below `end - start`
    /// (true of every range the RFC's recursion visits), so the range splits into stored perfect nodes.
    func subtreeHash(_ start: UInt64, _ end: UInt64) throws -> SHA256Digest {
        let count = end - start
        if count & (count - 1) == 0, start % count == 0 {
            let level = count.trailingZeroBitCount
            return try nodes.hash(of: MerkleNodeID(level: level, index: start >> UInt64(level)))
        }
        let k = largestPowerOfTwo(below: count)
        return MerkleHash.node(try subtreeHash(start, start + k), try subtreeHash(start + k, end))
    }

    // PATH(m, D[start ..< end]) with m relative to start, leaf-side first.
    private func path(_ m: UInt64, _ start: UInt64, _ end: UInt64, into proof: inout [SHA256Digest]) throws {
        let count = end - start
        guard count > 1 else { return }
        let k = largestPowerOfTwo(below: count)
        if m < k {
            try path(m, start, start + k, into: &proof)
            proof.append(try subtreeHash(start + k, end))
        } else {
            try path(m - k, start + k, end, into: &proof)
            proof.append(try subtreeHash(start, start + k))
        }
    }

    // SUBPROOF(m, D[start ..< end], b) of RFC 9162 §2.1.4.1.
    private func subproof(_ m: UInt64, _ start: UInt64, _ end: UInt64, complete: Bool, into proof: inout [SHA256Digest]) throws {
        let count = end - start
        if m == count {
            if !complete { proof.append(try subtreeHash(start, end)) }
            return
        }
        let k = largestPowerOfTwo(below: count)
        if m <= k {
            try subproof(m, start, start + k, complete: complete, into: &proof)
            proof.append(try subtreeHash(start + k, end))
        } else {
            try subproof(m - k, start + k, end, complete: false, into: &proof)
            proof.append(try subtreeHash(start, start + k))
        }
    }
}

/// The largest power of two strictly below `n` (n ≥ 2).
@inline(__always)
func largestPowerOfTwo(below n: UInt64) -> UInt64 {
    UInt64(1) << UInt64(63 - (n - 1).leadingZeroBitCount)
}
