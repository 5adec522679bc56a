import RenkeiCrypto
import RenkeiMerkle
import Testing

/// How many stored nodes a root or proof reads: what `MerkleTree`'s documentation promises, counted.
@Suite struct MerkleReadCountTests {
    /// ⌊log₂ n⌋.
    static func log2(_ n: UInt64) -> Int { 63 - n.leadingZeroBitCount }

    /// The tree of 2²⁰ − 1 leaves, the worst case for the ragged right edge (every bit of the size is set).
    static func large() -> (store: MemoryNodes, size: UInt64) {
        let size: UInt64 = (1 << 20) - 1
        let store = MemoryNodes()
        store.nodes.reserveCapacity(Int(2 * size))
        var frontier = MerkleFrontier()
        for i in 0..<size {
            frontier.append(leafHash: Self.leafHash(i)) { id, hash in store.nodes[id] = hash }
        }
        return (store, size)
    }

    static func leafHash(_ i: UInt64) -> SHA256Digest {
        withUnsafeBytes(of: i.bigEndian) { MerkleHash.leaf($0) }
    }

    /// Runs `body` and returns the nodes it read, after checking that it read none of them twice.
    static func reads(_ store: MemoryNodes, _ what: String, _ body: () throws -> Void) rethrows -> Int {
        store.resetReads()
        try body()
        let distinct = Set(store.reads).count
        #expect(distinct == store.reads.count, "\(what) read \(store.reads.count - distinct) nodes again")
        return store.reads.count
    }

    @Test func proofsInATreeOfTwoToTheTwentyMinusOneLeavesReadLogarithmicallyManyNodes() throws {
        let (store, size) = Self.large()
        let tree = MerkleTree(nodes: store)
        let log = Self.log2(size)   // 19
        let root = try tree.root(size: size)

        #expect(try Self.reads(store, "root") { _ = try tree.root(size: size) } == size.nonzeroBitCount)   // 20

        // Leaf 0 has the longest walk down the left edge and the largest ragged sibling at the top.
        var proof: [SHA256Digest] = []
        let leafZero = try Self.reads(store, "inclusion of leaf 0") { proof = try tree.inclusionProof(leaf: 0, size: size) }
        #expect(leafZero == 2 * log, "inclusion proof of leaf 0 read \(leafZero) nodes")   // 38
        #expect(MerkleVerifier.verifyInclusion(proof: proof, leafHash: Self.leafHash(0), index: 0, size: size, root: root))
        for leaf: UInt64 in [1, 2, 3, 1 << 18, (1 << 19) - 1, 1 << 19, (1 << 19) + 12_345, size - 2, size - 1] {
            let reads = try Self.reads(store, "inclusion of leaf \(leaf)") { _ = try tree.inclusionProof(leaf: leaf, size: size) }
            #expect(reads <= 2 * log, "inclusion proof of leaf \(leaf) read \(reads) nodes")
        }

        var consistency: [SHA256Digest] = []
        let fromThree = try Self.reads(store, "consistency 3 → n") { consistency = try tree.consistencyProof(from: 3, to: size) }
        #expect(fromThree == 2 * log + 1, "consistency proof 3 → n read \(fromThree) nodes")   // 39
        #expect(MerkleVerifier.verifyConsistency(proof: consistency, oldSize: 3, newSize: size, oldRoot: try tree.root(size: 3), newRoot: root))
        for old: UInt64 in [1, 2, 5, 7, 1 << 18, (1 << 19) - 1, (1 << 19) + 1, size / 3, size - 2, size - 1] {
            let reads = try Self.reads(store, "consistency \(old) → n") { _ = try tree.consistencyProof(from: old, to: size) }
            #expect(reads <= 2 * log + 1, "consistency proof \(old) → n read \(reads) nodes")
        }
    }

    @Test func everyProofInTreesOfUpTo300LeavesStaysWithinTheDocumentedBound() throws {
        let (store, _) = makeTree((0..<300).map { [UInt8(truncatingIfNeeded: $0), UInt8($0 >> 8)] })
        let tree = MerkleTree(nodes: store)
        for size in UInt64(1)...300 {
            let log = Self.log2(size)
            #expect(try Self.reads(store, "root of \(size)") { _ = try tree.root(size: size) } == size.nonzeroBitCount)
            for index in 0..<size {
                let inclusion = try Self.reads(store, "inclusion \(index) of \(size)") { _ = try tree.inclusionProof(leaf: index, size: size) }
                #expect(inclusion <= 2 * log, "inclusion proof of leaf \(index) of \(size) read \(inclusion) nodes")
                let old = index + 1
                let consistency = try Self.reads(store, "consistency \(old) → \(size)") { _ = try tree.consistencyProof(from: old, to: size) }
                #expect(consistency <= 2 * log + 1, "consistency proof \(old) → \(size) read \(consistency) nodes")
            }
        }
    }
}
