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

@Suite struct MerkleTreeTests {
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

    @Test func questionsOutsideTheTreeGiveCodedErrors() throws {
        let (store, _) = makeTree((0..<5).map { [UInt8($0)] })
        let tree = MerkleTree(nodes: store)
        let leaf = try #require(throws: MerkleError.self) { try tree.inclusionProof(leaf: 5, size: 5) }
        #expect(leaf.code == .leafOutOfRange)
        #expect(leaf.description == "RenkeiMerkle error 700 (leafOutOfRange): leaf 5 is not in a tree of 5 leaves")
        let sizes = try #require(throws: MerkleError.self) { try tree.consistencyProof(from: 5, to: 4) }
        #expect(sizes.code == .sizesOutOfOrder)
        #expect(sizes.description.contains("701") && sizes.reason.contains("5") && sizes.file.hasSuffix("MerkleTree.swift"))
        // Beyond what was stored, the reader's own error comes through.
        let missing = try #require(throws: MerkleError.self) { try tree.root(size: 6) }
        #expect(missing.code == .missingNode)
    }

    @Test func errorCodesAreStableAndInRenkeiMerklesRange() {
        let codes: [(MerkleError.Code, Int, String)] = [
            (.leafOutOfRange, 700, "leafOutOfRange"), (.sizesOutOfOrder, 701, "sizesOutOfOrder"),
            (.missingNode, 702, "missingNode"),
        ]
        for (code, number, name) in codes {
            #expect(code.rawValue == number)
            #expect(code.description == name)
            #expect((700...799).contains(code.rawValue))
        }
        #expect(Set(codes.map(\.0.rawValue)).count == codes.count)
        #expect(MerkleError.Code(rawValue: 799).description == "code 799")
    }
}
