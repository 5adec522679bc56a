public import RenkeiCrypto

/// A file's bytes ready to store, content-addressed: their SHA-256, their size, their kind and the form
/// the engine stores (compressed where the engine compresses). Made by `EventStore.prepareBlob` in the
/// caller's task, so hashing and compression run outside the writer.
public struct PreparedBlob: Hashable, Sendable {
    /// SHA-256 of the raw bytes: the blob's address.
    public let hash: SHA256Digest
    /// The raw size in bytes.
    public let size: Int
    /// The file's kind, as the domain names it (a standard file kind such as `UPPLAN`), 1 to 32 bytes.
    public let kind: String
    /// The dictionary the bytes were compressed with, or nil.
    public let dictionaryID: UInt32?
    /// The bytes as the engine stores them.
    public let stored: [UInt8]

    /// A prepared blob (engines make these).
    public init(hash: SHA256Digest, size: Int, kind: String, dictionaryID: UInt32?, stored: [UInt8]) {
        self.hash = hash
        self.size = size
        self.kind = kind
        self.dictionaryID = dictionaryID
        self.stored = stored
    }

    /// Throws `.invalidArgument` unless `kind` is 1 to 32 printable ASCII bytes.
    public static func validate(kind: String) throws {
        guard (1...32).contains(kind.utf8.count), kind.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw StoreError(.invalidArgument, "a file kind must be 1 to 32 printable ASCII characters, not \"\(kind)\"")
        }
    }
}

/// What a store knows of a file, also after its bytes were purged.
public struct BlobInfo: Hashable, Sendable {
    /// SHA-256 of the raw bytes.
    public let hash: SHA256Digest
    /// The raw size in bytes.
    public let size: Int
    /// The file's kind.
    public let kind: String
    /// Writes that reference the content and have not released it.
    public let references: Int
    /// Whether the bytes are gone (no reference left).
    public var isPurged: Bool { references == 0 }

    /// Blob information (engines make these).
    public init(hash: SHA256Digest, size: Int, kind: String, references: Int) {
        self.hash = hash
        self.size = size
        self.kind = kind
        self.references = references
    }
}
