public import RenkeiCrypto

/// The hashes of RFC 9162 (Certificate Transparency v2) §2.1.1, with SHA-256.
///
/// A leaf is `SHA-256(0x00 ‖ entry)`, an interior node `SHA-256(0x01 ‖ left ‖ right)`; the empty tree's
/// root is `SHA-256()` of nothing. The distinct prefixes keep a leaf from passing for a node.
public enum MerkleHash {
    /// The hash of the empty tree.
    public static let empty: SHA256Digest = SHA256.hash([UInt8]())

    /// The leaf hash of `entry`.
    public static func leaf(_ entry: UnsafeRawBufferPointer) -> SHA256Digest {
        var hasher = SHA256()
        hasher.update(byte: 0x00)
        hasher.update(entry)
        return hasher.finalize()
    }

    /// The leaf hash of `entry`.
    public static func leaf(_ entry: [UInt8]) -> SHA256Digest {
        entry.withUnsafeBytes { leaf($0) }
    }

    /// The hash of an interior node with children `left` and `right`.
    public static func node(_ left: SHA256Digest, _ right: SHA256Digest) -> SHA256Digest {
        var hasher = SHA256()
        hasher.update(byte: 0x01)
        hasher.update(left)
        hasher.update(right)
        return hasher.finalize()
    }
}

/// A node of the tree that covers a power-of-two run of leaves: `level` 0 is a leaf; the node at
/// (`level`, `index`) covers leaves `index << level ..< (index + 1) << level`. Only these "perfect"
/// nodes are ever stored; every other hash is computed from O(log n) of them.
public struct MerkleNodeID: Hashable, Sendable, CustomStringConvertible {
    /// Height above the leaves.
    public var level: Int
    /// Position among the nodes of that level, from the left.
    public var index: UInt64

    /// The node at `level`, `index`.
    public init(level: Int, index: UInt64) {
        self.level = level
        self.index = index
    }

    /// `(level, index)`.
    public var description: String { "(\(level), \(index))" }
}

/// Where the stored perfect nodes come from: an LMDB database, a table, or memory.
public protocol MerkleNodeReader {
    /// The hash of the perfect node `id`, which must exist for the tree sizes asked about (throw
    /// `MerkleError` `.missingNode`, or the store's own error, when it does not).
    func hash(of id: MerkleNodeID) throws -> SHA256Digest
}
