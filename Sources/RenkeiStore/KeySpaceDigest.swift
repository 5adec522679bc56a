public import RenkeiCrypto

/// SHA-256 over a key space's entries in key order, each as `u32 key length ‖ key ‖ u32 value length ‖
/// value` (big-endian lengths): the digest every engine reports for `StoreSnapshot.digest(of:)`, so a
/// projection rebuilt from the log can be compared byte for byte with the live one, on any engine.
public struct KeySpaceDigest: ~Copyable {
    private var hasher = SHA256()

    /// An empty digest.
    public init() {}

    /// Adds one entry (call in key order).
    public mutating func add(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        withUnsafeBytes(of: UInt32(key.count).bigEndian) { hasher.update($0) }
        hasher.update(key)
        withUnsafeBytes(of: UInt32(value.count).bigEndian) { hasher.update($0) }
        hasher.update(value)
    }

    /// Adds one entry (call in key order).
    public mutating func add(key: [UInt8], value: [UInt8]) {
        key.withUnsafeBytes { k in value.withUnsafeBytes { v in add(key: k, value: v) } }
    }

    /// The digest.
    public consuming func finalize() -> SHA256Digest { hasher.finalize() }
}
