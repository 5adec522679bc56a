public import RenkeiCrypto
public import RenkeiModel

/// The fixed header in front of every record's compressed body.
///
/// Layout (big-endian, 20 bytes):
/// ```
/// 0      format version (1)
/// 1      flags (0; reserved)
/// 2..<4  event kind
/// 4..<12 timestamp, microseconds since the Unix epoch
/// 12..<16 zstd dictionary id (0: none)
/// 16..<20 body length before compression
/// 20...  one zstd frame: the body
/// ```
/// Headers are read without decompressing anything, so scans by kind or time are cheap.
public struct RecordHeader: Hashable, Sendable {
    /// The record format this code writes.
    public static let currentFormat: UInt8 = 1
    /// Bytes before the body.
    public static let size = 20

    /// The record format version.
    public var format: UInt8
    /// What the event is.
    public var kind: EventKind
    /// When the event was appended.
    public var timestamp: Timestamp
    /// The dictionary the body was compressed with, or nil.
    public var dictionaryID: UInt32?
    /// The body's length before compression.
    public var bodyLength: UInt32

    /// A header for the current format.
    public init(kind: EventKind, timestamp: Timestamp, dictionaryID: UInt32?, bodyLength: UInt32) {
        format = Self.currentFormat
        self.kind = kind
        self.timestamp = timestamp
        self.dictionaryID = dictionaryID
        self.bodyLength = bodyLength
    }

    /// Reads a header from the start of a stored record; nil if it is too short or of an unknown format.
    public init?(parsing raw: UnsafeRawBufferPointer) {
        guard raw.count >= Self.size, raw[0] == Self.currentFormat else { return nil }
        format = raw[0]
        kind = EventKind(rawValue: UInt16(bigEndian: raw.loadUnaligned(fromByteOffset: 2, as: UInt16.self)))
        timestamp = Timestamp(rawValue: Int64(bigEndian: raw.loadUnaligned(fromByteOffset: 4, as: Int64.self)))
        let dictionary = UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
        dictionaryID = dictionary == 0 ? nil : dictionary
        bodyLength = UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: 16, as: UInt32.self))
    }

    func write(into raw: UnsafeMutableRawBufferPointer) {
        raw[0] = format
        raw[1] = 0
        raw.storeBytes(of: kind.rawValue.bigEndian, toByteOffset: 2, as: UInt16.self)
        raw.storeBytes(of: timestamp.rawValue.bigEndian, toByteOffset: 4, as: Int64.self)
        raw.storeBytes(of: (dictionaryID ?? 0).bigEndian, toByteOffset: 12, as: UInt32.self)
        raw.storeBytes(of: bodyLength.bigEndian, toByteOffset: 16, as: UInt32.self)
    }
}

/// A record ready to append: header and compressed body in their stored form, and its Merkle leaf hash.
///
/// Made by `EventLog.prepare(kind:body:…)` in the caller's task, so that compression and hashing run in
/// parallel outside the single writer thread; appending it is then a copy into the map.
public struct PreparedRecord: Sendable {
    /// The header.
    public let header: RecordHeader
    /// The record exactly as stored: header, then the zstd frame.
    public let bytes: [UInt8]
    /// `SHA-256(0x00 ‖ bytes)`: the record's leaf in the Merkle tree.
    public let leafHash: SHA256Digest
}

/// A record read from the log: its position, its header and its stored bytes (copied out of the map).
public struct LogRecord: Sendable, Hashable {
    /// Its position.
    public let sequence: SequenceNumber
    /// Its header.
    public let header: RecordHeader
    /// The record as stored: header, then the zstd frame. Its Merkle leaf is `SHA-256(0x00 ‖ bytes)`.
    public let bytes: [UInt8]

    /// The compressed body.
    public var frame: ArraySlice<UInt8> { bytes[RecordHeader.size...] }
}
