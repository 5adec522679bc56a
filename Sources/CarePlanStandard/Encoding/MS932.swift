import Foundation

/// MS932 (Windows-31J, Shift_JIS as Windows writes it), the standard's only character set (SPEC §4.3).
///
/// The double-byte table is generated from Python's `cp932` codec (Tools/generate-standard-tables.py), so NEC row
/// 13, NEC-selected IBM and IBM extension characters decode as Windows decodes them. Decoding is a table lookup
/// per byte. Lead bytes F0–F9 are the user-defined area (外字, U+E000–U+E757): they decode, but the standard
/// forbids them, so ``problem(in:)`` and ``decode(_:)`` report them. The single bytes 0x80, 0xA0 and 0xFD–0xFF,
/// which Windows maps to control or private-use code points, are treated as not decoding.
public enum MS932 {
    /// What a byte is when it starts a character.
    @usableFromInline enum ByteClass: UInt8, Sendable {
        case ascii = 0, halfWidthKana, lead, gaijiLead, invalid
    }

    @usableFromInline static let byteClasses: [ByteClass] = (0...255).map { byte -> ByteClass in
        switch byte {
        case 0x00...0x7F: return .ascii
        case 0xA1...0xDF: return .halfWidthKana
        case 0xF0...0xF9: return .gaijiLead
        case 0x81...0x9F, 0xE0...0xFC: return .lead
        default: return .invalid
        }
    }

    /// The double-byte table (see MS932Table.swift): 60 lead bytes × 189 trail bytes, 0 = does not decode.
    @usableFromInline static let doubleByteTable: [UInt16] = {
        let data = Data(base64Encoded: ms932DoubleByteTableBase64, options: .ignoreUnknownCharacters) ?? Data()
        precondition(data.count == 60 * 189 * 2, "the generated MS932 table is damaged")
        return stride(from: 0, to: data.count, by: 2).map { UInt16(data[$0]) | UInt16(data[$0 + 1]) << 8 }
    }()

    /// Unicode (BMP) → MS932 code, with cp932's choice where a character has several codes.
    static let encodingTable: [UInt16: UInt16] = {
        var table: [UInt16: UInt16] = [:]
        let decode = doubleByteTable
        for (index, unit) in decode.enumerated() where unit != 0 {
            let leadIndex = index / 189
            let lead = leadIndex < 31 ? 0x81 + leadIndex : 0xE0 + leadIndex - 31
            let code = UInt16(lead) << 8 | UInt16(0x40 + index % 189)
            if table[unit] == nil { table[unit] = code }
        }
        let data = Data(base64Encoded: ms932PreferredEncodingsBase64, options: .ignoreUnknownCharacters) ?? Data()
        for offset in stride(from: 0, to: data.count - 3, by: 4) {
            let unit = UInt16(data[offset]) | UInt16(data[offset + 1]) << 8
            table[unit] = UInt16(data[offset + 2]) | UInt16(data[offset + 3]) << 8
        }
        return table
    }()

    /// The table index of the pair (`lead`, `trail`), or `nil` when `trail` cannot follow a lead byte.
    @inlinable @inline(__always)
    static func tableIndex(lead: UInt8, trail: UInt8) -> Int? {
        guard trail >= 0x40, trail <= 0xFC, trail != 0x7F else { return nil }
        let leadIndex = lead <= 0x9F ? Int(lead) - 0x81 : Int(lead) - 0xE0 + 31
        return leadIndex * 189 + Int(trail) - 0x40
    }

    /// Whether `bytes` holds a byte of 0x80 or above (anything but ASCII, which is always valid MS932).
    @inline(__always)
    static func hasHighByte(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        for byte in bytes where byte >= 0x80 { return true }
        return false
    }

    /// The first place in `bytes` that is not valid MS932 or is 外字, or `nil` when all of it is fine.
    /// Offsets are relative to the start of `bytes`.
    public static func problem(in bytes: UnsafeBufferPointer<UInt8>) -> MS932Problem? {
        let classes = byteClasses
        let table = doubleByteTable
        var index = 0
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            if byte < 0x80 { index += 1; continue }
            switch classes[Int(byte)] {
            case .ascii, .halfWidthKana:
                index += 1
            case .lead, .gaijiLead:
                guard index + 1 < count else { return MS932Problem(offset: index, kind: .truncated, bytes: [byte]) }
                let trail = bytes[index + 1]
                guard let slot = tableIndex(lead: byte, trail: trail), table[slot] != 0 else {
                    return MS932Problem(offset: index, kind: .invalid, bytes: [byte, trail])
                }
                if byte >= 0xF0 && byte <= 0xF9 { return MS932Problem(offset: index, kind: .gaiji, bytes: [byte, trail]) }
                index += 2
            case .invalid:
                return MS932Problem(offset: index, kind: .invalid, bytes: [byte])
            }
        }
        return nil
    }

    /// The first problem in `bytes` (see ``problem(in:)-(UnsafeBufferPointer<UInt8>)``).
    public static func problem(in bytes: [UInt8]) -> MS932Problem? {
        bytes.withUnsafeBufferPointer { problem(in: $0) }
    }

    /// `bytes` decoded as MS932. Throws at the first byte that does not decode, and at the first 外字.
    public static func decode(_ bytes: [UInt8]) throws(MS932DecodingError) -> String {
        try bytes.withUnsafeBufferPointer { buffer throws(MS932DecodingError) -> String in try decode(buffer) }
    }

    /// `bytes` decoded as MS932. Throws at the first byte that does not decode, and at the first 外字.
    public static func decode(_ bytes: UnsafeBufferPointer<UInt8>) throws(MS932DecodingError) -> String {
        if let problem = problem(in: bytes) { throw MS932DecodingError(problem: problem) }
        if !bytes.contains(where: { $0 >= 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
        let table = doubleByteTable
        var utf8: [UInt8] = []
        utf8.reserveCapacity(bytes.count * 3 / 2)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            let unit: UInt32
            if byte < 0x80 {
                utf8.append(byte)
                index += 1
                continue
            } else if byte >= 0xA1 && byte <= 0xDF {
                unit = 0xFF61 + UInt32(byte - 0xA1)
                index += 1
            } else {
                unit = UInt32(table[tableIndex(lead: byte, trail: bytes[index + 1]) ?? 0])
                index += 2
            }
            if unit < 0x800 {
                utf8.append(UInt8(0xC0 | unit >> 6))
                utf8.append(UInt8(0x80 | unit & 0x3F))
            } else {
                utf8.append(UInt8(0xE0 | unit >> 12))
                utf8.append(UInt8(0x80 | (unit >> 6) & 0x3F))
                utf8.append(UInt8(0x80 | unit & 0x3F))
            }
        }
        return String(decoding: utf8, as: UTF8.self)
    }

    /// `text` encoded as MS932. Throws at the first character outside MS932, naming it; 外字 (U+E000–U+E757)
    /// are refused too, as the standard requires.
    public static func encode(_ text: String) throws(MS932EncodingError) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        try encode(text, into: &bytes)
        return bytes
    }

    /// Appends `text` encoded as MS932 to `bytes` (see ``encode(_:)``).
    public static func encode(_ text: String, into bytes: inout [UInt8]) throws(MS932EncodingError) {
        let table = encodingTable
        for (position, scalar) in text.unicodeScalars.enumerated() {
            let value = scalar.value
            if value < 0x80 {
                bytes.append(UInt8(value))
            } else if value >= 0xFF61 && value <= 0xFF9F {
                bytes.append(UInt8(value - 0xFF61 + 0xA1))
            } else if value >= 0xE000 && value <= 0xE757 {
                throw MS932EncodingError(scalar: scalar, position: position, isGaiji: true)
            } else if value <= 0xFFFF, let code = table[UInt16(value)] {
                bytes.append(UInt8(code >> 8))
                bytes.append(UInt8(code & 0xFF))
            } else {
                throw MS932EncodingError(scalar: scalar, position: position, isGaiji: false)
            }
        }
    }

    /// Whether every character of `text` can be written in MS932 without 外字.
    public static func canEncode(_ text: String) -> Bool { (try? encode(text)) != nil }
}
