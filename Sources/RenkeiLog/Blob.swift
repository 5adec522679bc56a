public import RenkeiCrypto
import RenkeiZstd

/// A file's bytes ready to store content-addressed: their SHA-256, their size, and the stored form.
///
/// Made by `EventLog.prepareBlob` in the caller's task (hashing and compression run outside the writer).
public struct PreparedBlob: Sendable {
    /// SHA-256 of the raw bytes: the blob's address.
    public let hash: SHA256Digest
    /// The raw size in bytes.
    public let size: Int
    /// The dictionary the bytes were compressed with, or nil.
    public let dictionaryID: UInt32?
    /// `BlobHeader` then the zstd frame, as stored.
    let stored: [UInt8]
}

/// What is known of a stored blob without decompressing it.
public struct BlobInfo: Sendable, Hashable {
    /// SHA-256 of the raw bytes.
    public let hash: SHA256Digest
    /// The raw size in bytes.
    public let size: Int
    /// The stored (compressed) size in bytes, header included.
    public let storedSize: Int
    /// The dictionary it was compressed with, or nil.
    public let dictionaryID: UInt32?
}

/// The header of a stored blob (big-endian, 13 bytes): format (1), dictionary id (4), raw size (8).
enum BlobHeader {
    static let size = 13
    static let format: UInt8 = 1

    static func make(dictionaryID: UInt32?, rawSize: Int, frame: [UInt8]) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: size + frame.count) { out, count in
            let raw = UnsafeMutableRawBufferPointer(out)
            raw[0] = format
            raw.storeBytes(of: (dictionaryID ?? 0).bigEndian, toByteOffset: 1, as: UInt32.self)
            raw.storeBytes(of: UInt64(rawSize).bigEndian, toByteOffset: 5, as: UInt64.self)
            frame.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: raw[size...]).copyMemory(from: $0) }
            count = size + frame.count
        }
    }

    /// Dictionary id and raw size, or nil when the header is not valid.
    static func parse(_ raw: UnsafeRawBufferPointer) -> (dictionaryID: UInt32?, rawSize: Int)? {
        guard raw.count >= size, raw[0] == format else { return nil }
        let dictionary = UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: 1, as: UInt32.self))
        let rawSize = UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 5, as: UInt64.self))
        guard rawSize <= UInt64(Int.max) else { return nil }
        return (dictionary == 0 ? nil : dictionary, Int(rawSize))
    }
}
