import RenkeiCrypto
import RenkeiMerkle
import Testing

/// The published known-answer vectors of the Certificate Transparency reference implementations: the
/// eight-leaf tree of google/certificate-transparency `cpp/merkletree/merkle_tree_test.cc` (`kInputs`,
/// `kSHA256Roots`, `kSHA256Paths`, `kSHA256Proofs`), repeated in transparency-dev/merkle
/// `testonly/constants.go` (`LeafInputs`, `NodeHashes`, `RootHashes`) and `proof/verify_test.go`
/// (`inclusionProofs`, `consistencyProofs`, which add 6 → 7). Copied as published; the sources number leaves
/// from 1, these from 0.
@Suite struct MerkleTestVectorTests {
    static let leaves: [[UInt8]] = [
        [], [0x00], [0x10], [0x20, 0x21], [0x30, 0x31], [0x40, 0x41, 0x42, 0x43],
        Array(0x50...0x57), Array(0x60...0x6f),
    ]

    /// `NodeHashes()`: every perfect node of the eight-leaf tree, by level, then index.
    static let nodes: [[String]] = [
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
            "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
        ],
        [
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        ],
        [
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
        ["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
    ]

    /// `kSHA256Roots` / `RootHashes()`: the roots of the trees of 1 … 8 leaves.
    static let roots = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]

    /// The root of the empty tree, SHA-256 of nothing (`kSHA256EmptyTreeHash`).
    static let emptyRoot = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// `kSHA256Paths` / `inclusionProofs`: leaf index (from 0), tree size, audit path.
    static let inclusionProofs: [(leaf: UInt64, size: UInt64, proof: [String])] = [
        (0, 1, []),
        (0, 8, [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ]),
        (5, 8, [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ]),
        (2, 3, [
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        ]),
        (1, 5, [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ]),
    ]

    /// `kSHA256Proofs` / `consistencyProofs`: old size, new size, proof.
    static let consistencyProofs: [(old: UInt64, new: UInt64, proof: [String])] = [
        (1, 1, []),
        (1, 8, [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ]),
        (6, 8, [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ]),
        (2, 5, [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ]),
        (6, 7, [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ]),
    ]

    static func root(_ size: UInt64) -> SHA256Digest { digest(roots[Int(size) - 1]) }

    @Test func theFrontierStoresThePublishedNodes() {
        let (store, _) = makeTree(Self.leaves)
        var published: [MerkleNodeID: SHA256Digest] = [:]
        for (level, hashes) in Self.nodes.enumerated() {
            for (index, hash) in hashes.enumerated() {
                published[MerkleNodeID(level: level, index: UInt64(index))] = digest(hash)
            }
        }
        #expect(store.nodes == published)
    }

    @Test func rootsMatchThePublishedTestVectors() throws {
        let (store, _) = makeTree(Self.leaves)
        let tree = MerkleTree(nodes: store)
        var frontier = MerkleFrontier()
        for size in 1...8 {
            frontier.append(leafHash: MerkleHash.leaf(Self.leaves[size - 1])) { _, _ in }
            #expect(try tree.root(size: UInt64(size)).hex == Self.roots[size - 1], "size \(size)")
            #expect(frontier.root.hex == Self.roots[size - 1], "frontier of size \(size)")
        }
        #expect(try tree.root(size: 0).hex == Self.emptyRoot)
        #expect(MerkleHash.empty.hex == Self.emptyRoot)
    }

    @Test func inclusionProofsMatchThePublishedTestVectors() throws {
        let (store, _) = makeTree(Self.leaves)
        let tree = MerkleTree(nodes: store)
        for (leaf, size, published) in Self.inclusionProofs {
            let proof = try tree.inclusionProof(leaf: leaf, size: size)
            #expect(proof.map(\.hex) == published, "leaf \(leaf) of \(size)")
        }
    }

    @Test func consistencyProofsMatchThePublishedTestVectors() throws {
        let (store, _) = makeTree(Self.leaves)
        let tree = MerkleTree(nodes: store)
        for (old, new, published) in Self.consistencyProofs {
            let proof = try tree.consistencyProof(from: old, to: new)
            #expect(proof.map(\.hex) == published, "\(old) → \(new)")
        }
    }

    /// The published proofs verify, and the alterations that the reference verifier tests refuse
    /// (`VerifierCheck` / `verifierCheck`) are refused here too.
    @Test func thePublishedInclusionProofsVerifyAndTheirAlterationsDoNot() {
        let other = digest(Self.emptyRoot)
        for (leaf, size, published) in Self.inclusionProofs {
            let proof = published.map(digest)
            let leafHash = MerkleHash.leaf(Self.leaves[Int(leaf)])
            let root = Self.root(size)
            let context = "leaf \(leaf) of \(size)"
            #expect(MerkleVerifier.root(fromInclusionProof: proof, leafHash: leafHash, index: leaf, size: size) == root, "\(context)")
            #expect(MerkleVerifier.verifyInclusion(proof: proof, leafHash: leafHash, index: leaf, size: size, root: root), "\(context)")

            var wrongPositions: [(UInt64, UInt64)] = [(leaf + 1, size), (leaf ^ 2, size), (leaf, size * 2), (leaf, size / 2)]
            if leaf > 0 { wrongPositions.append((leaf - 1, size)) }
            for (index, treeSize) in wrongPositions {
                #expect(!MerkleVerifier.verifyInclusion(proof: proof, leafHash: leafHash, index: index, size: treeSize, root: root),
                        "\(context) as leaf \(index) of \(treeSize)")
            }
            #expect(!MerkleVerifier.verifyInclusion(proof: proof, leafHash: MerkleHash.leaf(Array("WrongLeaf".utf8)), index: leaf, size: size, root: root), "\(context)")
            #expect(!MerkleVerifier.verifyInclusion(proof: proof, leafHash: leafHash, index: leaf, size: size, root: other), "\(context)")
            for altered in Self.alterations(of: proof, extra: [root, other]) {
                #expect(!MerkleVerifier.verifyInclusion(proof: altered, leafHash: leafHash, index: leaf, size: size, root: root), "\(context): \(altered)")
            }
        }
    }

    @Test func thePublishedConsistencyProofsVerifyAndTheirAlterationsDoNot() {
        for (old, new, published) in Self.consistencyProofs {
            let proof = published.map(digest)
            let oldRoot = Self.root(old)
            let newRoot = Self.root(new)
            let context = "\(old) → \(new)"
            #expect(MerkleVerifier.verifyConsistency(proof: proof, oldSize: old, newSize: new, oldRoot: oldRoot, newRoot: newRoot), "\(context)")
            guard !proof.isEmpty else { continue }   // as in the reference: only proofs with something to alter

            for (oldSize, newSize) in [(old - 1, new), (old + 1, new), (old ^ 2, new), (old, new * 2), (old, new / 2)] {
                #expect(!MerkleVerifier.verifyConsistency(proof: proof, oldSize: oldSize, newSize: newSize, oldRoot: oldRoot, newRoot: newRoot),
                        "\(context) as \(oldSize) → \(newSize)")
            }
            let wrongRoot = MerkleHash.leaf(Array("WrongRoot".utf8))
            #expect(!MerkleVerifier.verifyConsistency(proof: proof, oldSize: old, newSize: new, oldRoot: wrongRoot, newRoot: newRoot), "\(context)")
            #expect(!MerkleVerifier.verifyConsistency(proof: proof, oldSize: old, newSize: new, oldRoot: oldRoot, newRoot: wrongRoot), "\(context)")
            #expect(!MerkleVerifier.verifyConsistency(proof: proof, oldSize: old, newSize: new, oldRoot: newRoot, newRoot: oldRoot), "\(context)")
            #expect(!MerkleVerifier.verifyConsistency(proof: [], oldSize: old, newSize: new, oldRoot: oldRoot, newRoot: newRoot), "\(context)")
            for altered in Self.alterations(of: proof, extra: [oldRoot, newRoot, proof[0], digest(Self.emptyRoot)]) {
                #expect(!MerkleVerifier.verifyConsistency(proof: altered, oldSize: old, newSize: new, oldRoot: oldRoot, newRoot: newRoot), "\(context): \(altered)")
            }
        }
    }

    /// `proof` with one bit flipped in each element, its last element removed, and each of `extra` put in
    /// front of it and after it.
    static func alterations(of proof: [SHA256Digest], extra: [SHA256Digest]) -> [[SHA256Digest]] {
        var result: [[SHA256Digest]] = []
        for i in proof.indices {
            var bytes = proof[i].bytes
            bytes[0] ^= 8
            var altered = proof
            altered[i] = SHA256Digest(bytes: bytes)!
            result.append(altered)
        }
        if !proof.isEmpty { result.append(Array(proof.dropLast())) }
        for hash in extra {
            result.append([hash] + proof)
            result.append(proof + [hash])
        }
        return result
    }
}
