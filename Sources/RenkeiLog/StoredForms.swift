import RenkeiCrypto
import RenkeiMerkle
import RenkeiModel
import RenkeiStore

/// How an event is stored in the `log` database: its envelope (`EventRecord`'s prefix), then the
/// dictionary id and the body's length, then the body as one zstd frame.
///
/// ```
/// envelope (29 + actor name bytes) ‖ dictionary id (4, big-endian, 0: none) ‖ body length (4) ‖ zstd frame
/// ```
/// The Merkle leaf is over the canonical record (envelope ‖ body, uncompressed), so compression stays
/// this engine's business.
enum StoredEvent {
    /// The stored bytes of an event whose body was compressed to `frame`.
    static func encode(envelope: [UInt8], dictionaryID: UInt32?, bodyLength: Int, frame: [UInt8]) -> [UInt8] {
        var bytes = envelope
        bytes.reserveCapacity(envelope.count + 8 + frame.count)
        withUnsafeBytes(of: (dictionaryID ?? 0).bigEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(bodyLength).bigEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: frame)
        return bytes
    }

    /// The parts of a stored event: envelope, dictionary id, body length and where the frame starts.
    static func decode(_ raw: UnsafeRawBufferPointer, sequence: SequenceNumber) throws -> (envelope: EventEnvelope, dictionaryID: UInt32?, bodyLength: Int, frameStart: Int) {
        guard let (envelope, length) = EventRecord.decodeEnvelope(raw, sequence: sequence), raw.count >= length + 8 else {
            throw unreadable(raw, sequence)
        }
        let dictionary = UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: length, as: UInt32.self))
        let bodyLength = Int(UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: length + 4, as: UInt32.self)))
        return (envelope, dictionary == 0 ? nil : dictionary, bodyLength, length + 8)
    }

    /// The envelope of a stored event, checked as `decode` checks it.
    @inline(__always)
    static func envelope(_ raw: UnsafeRawBufferPointer, sequence: SequenceNumber) throws -> EventEnvelope {
        guard let (envelope, length) = EventRecord.decodeEnvelope(raw, sequence: sequence), raw.count >= length + 8 else {
            throw unreadable(raw, sequence)
        }
        return envelope
    }

    private static func unreadable(_ raw: UnsafeRawBufferPointer, _ sequence: SequenceNumber) -> StoreError {
        if raw.first == 1 {
            return StoreError(.unsupportedFormat, "event \(sequence) is in record format 1 (before actors and request ids)", sequence: sequence)
        }
        return StoreError(.corrupt, "an unreadable event envelope of \(raw.count) bytes", sequence: sequence)
    }
}

/// How a file is stored in the `blobs` database, keyed by the SHA-256 of its raw bytes:
///
/// ```
/// 0        format (1)
/// 1..<5    dictionary id (big-endian, 0: none)
/// 5..<13   raw size
/// 13..<17  references
/// 17       kind length k (1…32)
/// 18..<18+k kind (ASCII)
/// 18+k...  one zstd frame: the bytes — absent once purged (no reference left)
/// ```
struct StoredBlobHeader: Hashable {
    static let format: UInt8 = 1

    var dictionaryID: UInt32?
    var size: Int
    var references: Int
    var kind: String

    var encoded: [UInt8] {
        var bytes: [UInt8] = [Self.format]
        withUnsafeBytes(of: (dictionaryID ?? 0).bigEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt64(size).bigEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(clamping: references).bigEndian) { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(kind.utf8.count))
        bytes.append(contentsOf: kind.utf8)
        return bytes
    }

    /// The header and the length of its encoding, or nil when the bytes are not a stored blob.
    static func decode(_ raw: UnsafeRawBufferPointer) -> (header: StoredBlobHeader, length: Int)? {
        guard raw.count >= 18, raw[0] == format else { return nil }
        let kindLength = Int(raw[17])
        guard (1...32).contains(kindLength), raw.count >= 18 + kindLength,
              let kind = String(validating: raw[18 ..< 18 + kindLength], as: UTF8.self) else { return nil }
        let dictionary = UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: 1, as: UInt32.self))
        let size = UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 5, as: UInt64.self))
        let references = UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: 13, as: UInt32.self))
        guard size <= UInt64(Int.max) else { return nil }
        let header = StoredBlobHeader(dictionaryID: dictionary == 0 ? nil : dictionary, size: Int(size), references: Int(references), kind: kind)
        return (header, 18 + kindLength)
    }

    func info(_ hash: SHA256Digest) -> BlobInfo {
        BlobInfo(hash: hash, size: size, kind: kind, references: references)
    }
}

/// The leaf hash of an event: `SHA-256(0x00 ‖ envelope ‖ body)`, without joining the two.
func leafHash(envelope: [UInt8], body: [UInt8]) -> SHA256Digest {
    var hasher = SHA256()
    hasher.update(byte: 0)
    hasher.update(envelope)
    hasher.update(body)
    return hasher.finalize()
}
