public import RenkeiCrypto

/// Roots and proofs of the RFC 9162 tree over the first `size` leaves, computed from stored perfect nodes.
///
/// `MerkleTree` only reads; `MerkleFrontier` says which nodes to store as leaves are appended.
///
/// Cost, for a tree of n leaves and with L = ⌊log₂ n⌋: no call reads a node twice or computes a hash twice.
/// - ``root(size:)`` reads popcount(n) ≤ L + 1 nodes: the perfect nodes of the right edge, one per set bit
///   of n.
/// - ``inclusionProof(leaf:size:)`` reads at most 2L nodes: one per proof element, except the element that
///   covers the ragged right edge (a proof has at most one), which is folded from the right edge's perfect
///   nodes below it.
/// - ``consistencyProof(from:to:)`` reads at most 2L + 1 nodes, for the same reason.
///
/// Why the right edge costs O(log n) and not O(log² n): the RFC's recursion meets a range that is not a
/// perfect node only while it walks down the right edge, and it asks for the hash of such a range at most
/// once — as soon as it steps into a left half, every range below is perfect (one read), and while it stays
/// on the right edge the sibling it asks for is the perfect left half. The tests count the reads for
/// every proof in trees of up to 300 leaves and for 2²⁰ − 1 leaves (38 for an inclusion proof, 39 for a
/// consistency proof, 20 for the root).
public struct MerkleTree<Reader: MerkleNodeReader> {
    /// Where the perfect nodes are read from.
    public let nodes: Reader

    /// A tree reading its nodes from `nodes`.
    public init(nodes: Reader) { self.nodes = nodes }

    /// The root hash of the tree of the first `size` leaves (`MerkleHash.empty` for 0), from popcount(`size`)
    /// node reads.
    public func root(size: UInt64) throws -> SHA256Digest {
        size == 0 ? MerkleHash.empty : try subtreeHash(0, size)
    }

    /// The inclusion proof (audit path) of leaf `index` in the tree of `size` leaves, RFC 9162 §2.1.3.1,
    /// leaf side first, from at most 2⌊log₂ `size`⌋ node reads.
    ///
    /// - Throws: `MerkleError` `.leafOutOfRange` unless `index < size`; whatever the reader throws.
    public func inclusionProof(leaf index: UInt64, size: UInt64) throws -> [SHA256Digest] {
        guard index < size else { throw MerkleError(.leafOutOfRange, "leaf \(index) is not in a tree of \(size) leaves") }
        var proof = [SHA256Digest]()
        try path(index, 0, size, into: &proof)
        return proof
    }

    /// The consistency proof between the trees of `oldSize` and `newSize` leaves, RFC 9162 §2.1.4.1, from
    /// at most 2⌊log₂ `newSize`⌋ + 1 node reads. Empty when `oldSize` is 0 or equals `newSize`.
    ///
    /// - Throws: `MerkleError` `.sizesOutOfOrder` if `oldSize > newSize`; whatever the reader throws.
    public func consistencyProof(from oldSize: UInt64, to newSize: UInt64) throws -> [SHA256Digest] {
        guard oldSize <= newSize else {
            throw MerkleError(.sizesOutOfOrder, "old size \(oldSize) is larger than new size \(newSize)")
        }
        guard oldSize > 0, oldSize < newSize else { return [] }
        var proof = [SHA256Digest]()
        try subproof(oldSize, 0, newSize, complete: true, into: &proof)
        return proof
    }

    /// MTH(D[start ..< end]); `start` is a multiple of the largest power of two below `end - start`
    /// (true of every range the RFC's recursion visits), so the range splits into stored perfect nodes.
    ///
    /// A perfect range is one read. A ragged one (only ever a suffix of the tree's right edge) is its
    /// perfect left half plus, recursively, its right part: popcount(`end - start`) reads, each a perfect
    /// node of the right edge, folded from the right.
    func subtreeHash(_ start: UInt64, _ end: UInt64) throws -> SHA256Digest {
        let count = end - start
        if count & (count - 1) == 0, start % count == 0 {
            let level = count.trailingZeroBitCount
            return try nodes.hash(of: MerkleNodeID(level: level, index: start >> UInt64(level)))
        }
        let k = largestPowerOfTwo(below: count)
        return MerkleHash.node(try subtreeHash(start, start + k), try subtreeHash(start + k, end))
    }

    // PATH(m, D[start ..< end]) with m relative to start, leaf-side first. Only the branch `m < k` with
    // `end` on the right edge asks `subtreeHash` for a ragged range, and it happens once: below it every
    // range is perfect.
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

    // SUBPROOF(m, D[start ..< end], b) of RFC 9162 §2.1.4.1. As in `path`, at most one ragged range.
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
