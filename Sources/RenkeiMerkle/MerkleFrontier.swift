public import RenkeiCrypto

/// The right edge of the tree while leaves are appended: for each level, the last perfect node still
/// waiting for a right sibling. Appending a leaf returns every perfect node it completes — the leaf itself
/// and the interior nodes above it — which the caller stores; the frontier then gives the root without
/// reading anything.
///
/// Invariant: `pending[level]` is set exactly when bit `level` of `size` is 1.
public struct MerkleFrontier: Sendable, Hashable {
    /// The number of leaves appended.
    public private(set) var size: UInt64
    private var pending: [SHA256Digest?]

    /// An empty tree.
    public init() {
        size = 0
        pending = []
    }

    /// The frontier of an existing tree of `size` leaves, read from its stored nodes: popcount(`size`)
    /// reads, one per perfect node of the right edge.
    public init(size: UInt64, nodes: some MerkleNodeReader) throws {
        self.size = size
        pending = []
        var prefix: UInt64 = 0
        for level in stride(from: 63, through: 0, by: -1) where size & (UInt64(1) << UInt64(level)) != 0 {
            let hash = try nodes.hash(of: MerkleNodeID(level: level, index: prefix >> UInt64(level)))
            setPending(level, hash)
            prefix += UInt64(1) << UInt64(level)
        }
    }

    /// Appends a leaf with hash `leafHash`; `store` receives each perfect node completed, lowest first.
    public mutating func append(leafHash: SHA256Digest, store: (MerkleNodeID, SHA256Digest) throws -> Void) rethrows {
        var index = size
        var hash = leafHash
        var level = 0
        try store(MerkleNodeID(level: 0, index: index), hash)
        while index & 1 == 1 {
            guard let left = pending[level] else { preconditionFailure("frontier out of step at level \(level)") }
            pending[level] = nil
            hash = MerkleHash.node(left, hash)
            index >>= 1
            level += 1
            try store(MerkleNodeID(level: level, index: index), hash)
        }
        setPending(level, hash)
        size += 1
    }

    /// The root of the tree of `size` leaves.
    public var root: SHA256Digest {
        var result: SHA256Digest?
        for case let hash? in pending {
            result = result.map { MerkleHash.node(hash, $0) } ?? hash
        }
        return result ?? MerkleHash.empty
    }

    private mutating func setPending(_ level: Int, _ hash: SHA256Digest) {
        while pending.count <= level { pending.append(nil) }
        pending[level] = hash
    }
}
