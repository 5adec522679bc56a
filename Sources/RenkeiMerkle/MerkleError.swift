/// A failure to answer about a tree: a stable numbered code, a reason in plain words, and where it was
/// thrown.
///
/// Switch on ``code``; compare codes, not reasons, in code that decides something. Codes are never
/// renumbered, and new ones are added as new constants, so a `switch` with a `default` never breaks.
/// RenkeiMerkle's codes are 700–799, so that a number names one error across the store: `CryptoError`
/// uses 100–499, the store's own errors 500–599 and `ZstdError` 600–699.
public struct MerkleError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, as a stable number.
    public var code: Code
    /// What was asked, in plain words: the leaf, the sizes or the node concerned.
    public var reason: String
    /// The source file that threw the error.
    public var file: String
    /// The line in ``file``.
    public var line: Int

    /// An error with `code` and `reason`, thrown at `file`:`line`.
    public init(_ code: Code, _ reason: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.reason = reason
        self.file = file
        self.line = line
    }

    public var description: String {
        "RenkeiMerkle error \(code.rawValue) (\(code)): \(reason)"
    }
}

extension MerkleError {
    /// A stable error number in 700–799. New numbers are added as constants; none is ever reused or
    /// renumbered.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The number.
        public var rawValue: Int
        /// The code `rawValue`.
        public init(rawValue: Int) { self.rawValue = rawValue }

        /// An inclusion proof was asked for a leaf index that is not below the tree size.
        public static let leafOutOfRange = Code(rawValue: 700)
        /// A consistency proof was asked from an old size larger than the new size.
        public static let sizesOutOfOrder = Code(rawValue: 701)
        /// A `MerkleNodeReader` does not hold a perfect node that the tree of the size asked about has
        /// (for readers to throw; a stored tree that lacks one is damaged or was asked beyond its size).
        public static let missingNode = Code(rawValue: 702)

        public var description: String {
            Self.names[rawValue] ?? "code \(rawValue)"
        }

        private static let names: [Int: String] = [
            700: "leafOutOfRange", 701: "sizesOutOfOrder", 702: "missingNode",
        ]
    }
}
