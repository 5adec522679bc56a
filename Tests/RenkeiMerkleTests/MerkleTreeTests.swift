import RenkeiCrypto
import RenkeiMerkle
import Testing

/// RFC 9162 §2.1 written out as directly as possible, over the whole leaf list: the reference the stored,
/// O(log n) implementation must agree with.
private enum Reference {
    static func mth(_ leaves: ArraySlice<[UInt8]>) -> SHA256Digest {
        switch leaves.count {
        case 0: return SHA256.hash([UInt8]())
        case 1: return SHA256.hash([0] + leaves.first!)
        default:
            let k = largestPowerOfTwoBelow(leaves.count)
            let mid = leaves.startIndex + k
            return SHA256.hash([1] + mth(leaves[..<mid]).bytes + mth(leaves[mid...]).bytes)
        }
    }

    static func path(_ m: Int, _ leaves: ArraySlice<[UInt8]>) -> [SHA256Digest] {
        guard leaves.count > 1 else { return [] }
        let k = largestPowerOfTwoBelow(leaves.count)
        let mid = leaves.startIndex + k
        if m < k { return path(m, leaves[..<mid]) + [mth(leaves[mid...])] }
        return path(m - k, leaves[mid...]) + [mth(leaves[..<mid])]
    }

    static func proof(_ m: Int, _ leaves: ArraySlice<[UInt8]>) -> [SHA256Digest] {
        subproof(m, leaves, true)
    }

    static func subproof(_ m: Int, _ leaves: ArraySlice<[UInt8]>, _ b: Bool) -> [SHA256Digest] {
        let n = leaves.count
        if m == n { return b ? [] : [mth(leaves)] }
        let k = largestPowerOfTwoBelow(n)
        let mid = leaves.startIndex + k
        if m <= k { return subproof(m, leaves[..<mid], b) + [mth(leaves[mid...])] }
        return subproof(m - k, leaves[mid...], false) + [mth(leaves[..<mid])]
    }

    static func largestPowerOfTwoBelow(_ n: Int) -> Int {
        var k = 1
        while k << 1 < n { k <<= 1 }
        return k
    }
}

/// Perfect nodes kept in memory, filled by `MerkleFrontier` as leaves are appended.
private final class MemoryNodes: MerkleNodeReader {
    var nodes: [MerkleNodeID: SHA256Digest] = [:]
    var reads = 0
    func hash(of id: MerkleNodeID) throws -> SHA256Digest {
        reads += 1
        guard let hash = nodes[id] else { throw MerkleError("missing node \(id)") }
        return hash
    }
}

private func makeTree(_ leaves: [[UInt8]]) -> (MemoryNodes, MerkleFrontier) {
    let store = MemoryNodes()
    var frontier = MerkleFrontier()
    for leaf in leaves {
        frontier.append(leafHash: MerkleHash.leaf(leaf)) { id, hash in store.nodes[id] = hash }
    }
    return (store, frontier)
}

@Suite struct MerkleTreeTests {
    // The eight-leaf test tree of RFC 6962's reference implementation (certificate-transparency).
    static let vectorLeaves: [[UInt8]] = [
        [], [0x00], [0x10], [0x20, 0x21], [0x30, 0x31], [0x40, 0x41, 0x42, 0x43],
        Array(0x50...0x57), Array(0x60...0x6f),
    ]
    static let vectorRoots = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]

    @Test func rootsMatchThePublishedTestVectors() throws {
        let (store, _) = makeTree(Self.vectorLeaves)
        let tree = MerkleTree(nodes: store)
        for size in 1...8 {
            #expect(try tree.root(size: UInt64(size)).hex == Self.vectorRoots[size - 1], "size \(size)")
        }
        #expect(try tree.root(size: 0) == MerkleHash.empty)
    }

    @Test func rootsAndProofsAgreeWithTheReferenceForEverySmallTree() throws {
        let leaves = (0..<40).map { i in (0..<(i % 7)).map { UInt8(truncatingIfNeeded: i &* 13 &+ $0) } }
        let (store, _) = makeTree(leaves)
        let tree = MerkleTree(nodes: store)
        for n in 1...leaves.count {
            let prefix = leaves[..<n]
            let root = try tree.root(size: UInt64(n))
            #expect(root == Reference.mth(prefix))
            for m in 0..<n {
                let proof = try tree.inclusionProof(leaf: UInt64(m), size: UInt64(n))
                #expect(proof == Reference.path(m, prefix), "path \(m) of \(n)")
                #expect(MerkleVerifier.verifyInclusion(proof: proof, leafHash: MerkleHash.leaf(leaves[m]), index: UInt64(m), size: UInt64(n), root: root))
            }
            for m in 1...n {
                let proof = try tree.consistencyProof(from: UInt64(m), to: UInt64(n))
                #expect(proof == Reference.proof(m, prefix), "consistency \(m) → \(n)")
                #expect(MerkleVerifier.verifyConsistency(proof: proof, oldSize: UInt64(m), newSize: UInt64(n), oldRoot: try tree.root(size: UInt64(m)), newRoot: root))
            }
        }
    }

    @Test func frontierRootEqualsStoredRootAndReloads() throws {
        let leaves = (0..<1000).map { withUnsafeBytes(of: UInt32($0).bigEndian) { Array($0) } }
        let (store, frontier) = makeTree(leaves)
        let tree = MerkleTree(nodes: store)
        #expect(frontier.root == (try tree.root(size: 1000)))
        let reloaded = try MerkleFrontier(size: 1000, nodes: store)
        #expect(reloaded == frontier)
        // Storage: every perfect node once — 2n - popcount(n) nodes.
        #expect(store.nodes.count == 2 * 1000 - 1000.nonzeroBitCount)
    }

    @Test func proofsReadLogarithmicallyManyNodes() throws {
        let leaves = (0..<5000).map { withUnsafeBytes(of: UInt32($0)) { Array($0) } }
        let (store, _) = makeTree(leaves)
        let tree = MerkleTree(nodes: store)
        store.reads = 0
        _ = try tree.inclusionProof(leaf: 1234, size: 4999)
        #expect(store.reads <= 2 * 13)
        store.reads = 0
        _ = try tree.consistencyProof(from: 3001, to: 4999)
        #expect(store.reads <= 3 * 13)
    }

    @Test func tamperedProofsAndWrongPositionsAreRejected() throws {
        let leaves = (0..<21).map { [UInt8($0)] }
        let (store, _) = makeTree(leaves)
        let tree = MerkleTree(nodes: store)
        let root = try tree.root(size: 21)
        var proof = try tree.inclusionProof(leaf: 5, size: 21)
        let leaf = MerkleHash.leaf(leaves[5])
        #expect(MerkleVerifier.verifyInclusion(proof: proof, leafHash: leaf, index: 5, size: 21, root: root))
        #expect(!MerkleVerifier.verifyInclusion(proof: proof, leafHash: leaf, index: 6, size: 21, root: root))
        #expect(!MerkleVerifier.verifyInclusion(proof: proof, leafHash: MerkleHash.leaf(leaves[6]), index: 5, size: 21, root: root))
        #expect(!MerkleVerifier.verifyInclusion(proof: Array(proof.dropLast()), leafHash: leaf, index: 5, size: 21, root: root))
        proof[1] = MerkleHash.leaf([0xFF])
        #expect(!MerkleVerifier.verifyInclusion(proof: proof, leafHash: leaf, index: 5, size: 21, root: root))

        var consistency = try tree.consistencyProof(from: 13, to: 21)
        let oldRoot = try tree.root(size: 13)
        #expect(MerkleVerifier.verifyConsistency(proof: consistency, oldSize: 13, newSize: 21, oldRoot: oldRoot, newRoot: root))
        #expect(!MerkleVerifier.verifyConsistency(proof: consistency, oldSize: 13, newSize: 21, oldRoot: try tree.root(size: 12), newRoot: root))
        consistency[0] = MerkleHash.leaf([0xEE])
        #expect(!MerkleVerifier.verifyConsistency(proof: consistency, oldSize: 13, newSize: 21, oldRoot: oldRoot, newRoot: root))
        #expect(throws: MerkleError.self) { try tree.inclusionProof(leaf: 21, size: 21) }
    }
}
