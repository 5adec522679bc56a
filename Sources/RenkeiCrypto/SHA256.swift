internal import COpenSSL

/// A SHA-256 digest: 32 bytes, stored inline so that hashing in the Merkle tree and the blob store
/// allocates nothing.
public struct SHA256Digest: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The number of bytes in a digest.
    public static let byteCount = 32

    // The 32 bytes in order, as loaded from memory: w0 holds bytes 0..<8, and so on.
    private var w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64

    /// A digest from exactly 32 bytes; `nil` for any other count.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == Self.byteCount else { return nil }
        (w0, w1, w2, w3) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &self) { raw in
            for (offset, byte) in bytes.enumerated() { raw[offset] = byte }
        }
    }

    /// A digest from the first 32 bytes of `raw`, which must hold at least 32.
    public init(loadingFrom raw: UnsafeRawBufferPointer) {
        precondition(raw.count >= Self.byteCount, "a SHA-256 digest needs 32 bytes")
        w0 = raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self)
        w1 = raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
        w2 = raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self)
        w3 = raw.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
    }

    /// A digest from 64 hexadecimal digits (either case); `nil` otherwise.
    public init?(hex: some StringProtocol) {
        let utf8 = Array(hex.utf8)
        guard utf8.count == 64 else { return nil }
        var bytes = [UInt8]()
        bytes.reserveCapacity(32)
        var index = 0
        while index < 64 {
            guard let high = Self.nibble(utf8[index]), let low = Self.nibble(utf8[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        self.init(bytes: bytes)
    }

    /// Calls `body` with the 32 bytes.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: self) { try body($0) }
    }

    /// The 32 bytes as an array.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// Lower-case hexadecimal, 64 digits.
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        return withUnsafeBytes { raw in
            String(unsafeUninitializedCapacity: 64) { out in
                for (index, byte) in raw.enumerated() {
                    out[2 * index] = digits[Int(byte >> 4)]
                    out[2 * index + 1] = digits[Int(byte & 0x0F)]
                }
                return 64
            }
        }
    }

    public var description: String { hex }

    /// Byte-wise (lexicographic) order, the order of the digests as LMDB keys.
    public static func < (lhs: SHA256Digest, rhs: SHA256Digest) -> Bool {
        lhs.withUnsafeBytes { l in rhs.withUnsafeBytes { r in l.lexicographicallyPrecedes(r) } }
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// SHA-256 from libcrypto (which uses the CPU's SHA extensions where present).
///
/// One-shot hashing of contiguous bytes, of several buffers as if concatenated (the Merkle tree's
/// `0x01 ‖ left ‖ right`), or incrementally for large files. Thread-safe: every call has its own context.
public struct SHA256: ~Copyable {
    private let context: OpaquePointer

    /// The algorithm, fetched once; EVP_MD objects are immutable and safe to share between threads.
    nonisolated(unsafe) private static let algorithm: OpaquePointer = {
        guard let md = EVP_MD_fetch(nil, "SHA256", nil) else {
            fatalError("libcrypto has no SHA256 implementation")
        }
        return md
    }()

    /// A new incremental hash.
    public init() {
        guard let context = EVP_MD_CTX_new() else { fatalError("out of memory creating a SHA-256 context") }
        guard EVP_DigestInit_ex(context, Self.algorithm, nil) == 1 else { fatalError("SHA-256 initialisation failed") }
        self.context = context
    }

    deinit { EVP_MD_CTX_free(context) }

    /// Adds bytes to the hash.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        let ok = EVP_DigestUpdate(context, bytes.baseAddress, bytes.count)
        precondition(ok == 1, "SHA-256 update failed")
    }

    /// Adds bytes to the hash.
    public mutating func update(_ bytes: some ContiguousBytesLike) {
        bytes.withUnsafeRawBytes { update($0) }
    }

    /// Adds one byte to the hash.
    public mutating func update(byte: UInt8) {
        Swift.withUnsafeBytes(of: byte) { update($0) }
    }

    /// Adds a digest's 32 bytes to the hash.
    public mutating func update(_ digest: SHA256Digest) {
        digest.withUnsafeBytes { update($0) }
    }

    /// Ends the hash and returns the digest.
    public consuming func finalize() -> SHA256Digest {
        var output = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        Swift.withUnsafeMutableBytes(of: &output) { raw in
            var length: UInt32 = 0
            let ok = EVP_DigestFinal_ex(context, raw.baseAddress!.assumingMemoryBound(to: UInt8.self), &length)
            precondition(ok == 1 && length == 32, "SHA-256 finalisation failed")
        }
        return Swift.withUnsafeBytes(of: output) { SHA256Digest(loadingFrom: $0) }
    }

    /// The digest of `bytes`.
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> SHA256Digest {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// The digest of `bytes`.
    public static func hash(_ bytes: some ContiguousBytesLike) -> SHA256Digest {
        bytes.withUnsafeRawBytes { hash($0) }
    }
}

/// Contiguous bytes that can be hashed or compressed without copying: `[UInt8]`, `ArraySlice<UInt8>`,
/// `ContiguousArray<UInt8>`, `UnsafeRawBufferPointer`.
public protocol ContiguousBytesLike {
    /// Calls `body` with the bytes.
    func withUnsafeRawBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

extension Array: ContiguousBytesLike where Element == UInt8 {
    public func withUnsafeRawBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(body)
    }
}

extension ArraySlice: ContiguousBytesLike where Element == UInt8 {
    public func withUnsafeRawBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(body)
    }
}

extension ContiguousArray: ContiguousBytesLike where Element == UInt8 {
    public func withUnsafeRawBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(body)
    }
}

extension UnsafeRawBufferPointer: ContiguousBytesLike {
    public func withUnsafeRawBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(self)
    }
}
