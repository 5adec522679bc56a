public import RenkeiCrypto

/// Checks RFC 9162 proofs with nothing but hashes: what an auditor runs offline against a signed checkpoint.
public enum MerkleVerifier {
    /// The root that `proof` implies for a leaf with hash `leafHash` at `index` in a tree of `size` leaves,
    /// or nil if the proof has the wrong shape (RFC 9162 §2.1.3.2).
    public static func root(fromInclusionProof proof: [SHA256Digest], leafHash: SHA256Digest, index: UInt64, size: UInt64) -> SHA256Digest? {
        guard index < size else { return nil }
        var fn = index
        var sn = size - 1
        var r = leafHash
        for p in proof {
            guard sn != 0 else { return nil }
            if fn & 1 == 1 || fn == sn {
                r = MerkleHash.node(p, r)
                while fn & 1 == 0 && fn != 0 {
                    fn >>= 1
                    sn >>= 1
                }
            } else {
                r = MerkleHash.node(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 ? r : nil
    }

    /// Whether `proof` shows the leaf `leafHash` at `index` in the tree of `size` leaves with root `root`.
    public static func verifyInclusion(proof: [SHA256Digest], leafHash: SHA256Digest, index: UInt64, size: UInt64, root: SHA256Digest) -> Bool {
        Self.root(fromInclusionProof: proof, leafHash: leafHash, index: index, size: size) == root
    }

    /// Whether `proof` shows that the tree of `oldSize` leaves with root `oldRoot` is a prefix of the tree of
    /// `newSize` leaves with root `newRoot` — history only appended to (RFC 9162 §2.1.4.2).
    public static func verifyConsistency(proof: [SHA256Digest], oldSize: UInt64, newSize: UInt64, oldRoot: SHA256Digest, newRoot: SHA256Digest) -> Bool {
        guard oldSize <= newSize else { return false }
        if oldSize == newSize { return proof.isEmpty && oldRoot == newRoot }
        if oldSize == 0 { return proof.isEmpty }
        var path = proof
        if oldSize & (oldSize - 1) == 0 { path.insert(oldRoot, at: 0) }
        guard let first = path.first else { return false }
        var fn = oldSize - 1
        var sn = newSize - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var fr = first
        var sr = first
        for c in path.dropFirst() {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                fr = MerkleHash.node(c, fr)
                sr = MerkleHash.node(c, sr)
                while fn & 1 == 0 && fn != 0 {
                    fn >>= 1
                    sn >>= 1
                }
            } else {
                sr = MerkleHash.node(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 && fr == oldRoot && sr == newRoot
    }
}
