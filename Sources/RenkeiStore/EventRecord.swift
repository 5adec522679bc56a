public import RenkeiModel

/// The canonical bytes of an event: the envelope (without the sequence, which is the leaf's position in
/// the Merkle tree) followed by the body. An event's Merkle leaf is `SHA-256(0x00 ‖ record)`, so every
/// engine, and an auditor verifying offline, computes the same leaf from the same event.
///
/// Layout (big-endian):
/// ```
/// 0        format (2)
/// 1        actor type: 0 system, 1 office, 2 operator, 3 auditor
/// 2..<4    event kind
/// 4..<12   timestamp, microseconds since the Unix epoch
/// 12..<28  request id
/// 28       actor name length n (0…64; the 事業所番号 for an office)
/// 29..<29+n actor name, UTF-8
/// 29+n...  body
/// ```
/// Format 1 (before actors and request ids) is not read: a store of that format is refused when opened.
public enum EventRecord {
    /// The record format this code writes and reads.
    public static let format: UInt8 = 2
    /// Bytes before the actor name.
    @usableFromInline static let fixedSize = 29
    /// The most bytes an envelope takes.
    public static let maximumEnvelopeSize = fixedSize + Actor.maximumNameLength

    /// The canonical record of an event.
    public static func encode(envelope: EventEnvelope, body: [UInt8]) -> [UInt8] {
        var bytes = encodeEnvelope(envelope)
        bytes.append(contentsOf: body)
        return bytes
    }

    /// The envelope's bytes alone (the record's prefix).
    public static func encodeEnvelope(_ envelope: EventEnvelope) -> [UInt8] {
        let (type, name) = envelope.actor.encoded
        var bytes: [UInt8] = []
        bytes.reserveCapacity(fixedSize + name.count)
        bytes.append(format)
        bytes.append(type)
        append(envelope.kind.rawValue.bigEndian, to: &bytes)
        append(envelope.timestamp.rawValue.bigEndian, to: &bytes)
        bytes.append(contentsOf: envelope.requestID.bytes)
        bytes.append(UInt8(name.count))
        bytes.append(contentsOf: name)
        return bytes
    }

    /// Reads an envelope from the start of `raw`; returns it (with `sequence`) and its length in bytes, or
    /// nil when the bytes are not a format-2 envelope. Inlined into the engines' scans, which decode millions.
    @inlinable @inline(__always)
    public static func decodeEnvelope(_ raw: UnsafeRawBufferPointer, sequence: SequenceNumber) -> (envelope: EventEnvelope, length: Int)? {
        guard raw.count >= fixedSize, raw[0] == format else { return nil }
        let nameLength = Int(raw[28])
        guard nameLength <= Actor.maximumNameLength, raw.count >= fixedSize + nameLength else { return nil }
        // The system actor has no name: no bytes to copy (a header scan reads millions of these).
        let actor = raw[1] == 0 && nameLength == 0 ? .system : Actor(type: raw[1], name: UnsafeRawBufferPointer(rebasing: raw[fixedSize ..< fixedSize + nameLength]))
        guard let actor else { return nil }
        let envelope = EventEnvelope(
            sequence: sequence,
            timestamp: Timestamp(rawValue: Int64(bigEndian: raw.loadUnaligned(fromByteOffset: 4, as: Int64.self))),
            kind: EventKind(rawValue: UInt16(bigEndian: raw.loadUnaligned(fromByteOffset: 2, as: UInt16.self))),
            actor: actor,
            requestID: RequestID(high: UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 12, as: UInt64.self)),
                                 low: UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 20, as: UInt64.self)))
        )
        return (envelope, fixedSize + nameLength)
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value) { bytes.append(contentsOf: $0) }
    }
}

extension Actor {
    /// Whether the actor can be stored: an operator or auditor name of 1 to 64 UTF-8 bytes.
    public var isValid: Bool {
        switch self {
        case .office, .system: true
        case .operator(let name), .auditor(let name): !name.isEmpty && name.utf8.count <= Self.maximumNameLength
        }
    }

    var encoded: (type: UInt8, name: [UInt8]) {
        switch self {
        case .system: (0, [])
        case .office(let number): (1, Array(number.rawValue.utf8))
        case .operator(let name): (2, Array(name.utf8.prefix(Self.maximumNameLength)))
        case .auditor(let name): (3, Array(name.utf8.prefix(Self.maximumNameLength)))
        }
    }

    /// The actor of a record's type byte and name bytes, read in place (no copy of the name).
    @usableFromInline
    init?(type: UInt8, name: UnsafeRawBufferPointer) {
        switch type {
        case 0 where name.isEmpty: self = .system
        case 1: guard let number = OfficeNumber(ascii: name) else { return nil }; self = .office(number)
        case 2 where !name.isEmpty: guard let text = String(validating: name, as: UTF8.self) else { return nil }; self = .operator(text)
        case 3 where !name.isEmpty: guard let text = String(validating: name, as: UTF8.self) else { return nil }; self = .auditor(text)
        default: return nil
        }
    }
}
