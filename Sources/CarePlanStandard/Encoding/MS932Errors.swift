/// A place where bytes are not valid MS932, or are 外字.
public struct MS932Problem: Hashable, Sendable {
    /// What is wrong.
    public enum Kind: String, Hashable, Sendable {
        /// A byte (or byte pair) that MS932 does not define.
        case invalid
        /// A lead byte at the very end, without its second byte.
        case truncated
        /// A character of the user-defined area (lead byte F0–F9): 外字, forbidden by the standard.
        case gaiji
    }

    /// The offset of the first offending byte.
    public let offset: Int
    /// What is wrong.
    public let kind: Kind
    /// The offending byte or byte pair.
    public let bytes: [UInt8]

    /// The bytes as hex, e.g. `F040`.
    public var hex: String { bytes.map { byte in String(byte, radix: 16, uppercase: true).leftPadded(to: 2) }.joined() }
}

/// Bytes that do not decode as MS932 (ENC-1).
public struct MS932DecodingError: Error, Hashable, CustomStringConvertible {
    /// The stable code: ENC-1.
    public let code = FindingCode.encoding
    /// Where and what.
    public let problem: MS932Problem
    /// The offset of the first byte that does not decode.
    public var offset: Int { problem.offset }

    public var description: String {
        switch problem.kind {
        case .gaiji: return "ENC-1: 外字 (user-defined character) 0x\(problem.hex) at byte offset \(offset)"
        case .truncated: return "ENC-1: incomplete double-byte character 0x\(problem.hex) at byte offset \(offset)"
        case .invalid: return "ENC-1: bytes 0x\(problem.hex) at offset \(offset) are not MS932"
        }
    }
}

/// A character that MS932 cannot write, or that would be 外字.
public struct MS932EncodingError: Error, Hashable, CustomStringConvertible {
    /// The stable code: ENC-1.
    public let code = FindingCode.encoding
    /// The character.
    public let scalar: Unicode.Scalar
    /// Its position in the text, counted in Unicode scalars from 0.
    public let position: Int
    /// Whether it is a private-use character of the 外字 area rather than one MS932 lacks.
    public let isGaiji: Bool

    /// `U+XXXX`.
    public var codePoint: String { "U+" + String(scalar.value, radix: 16, uppercase: true).leftPadded(to: 4) }

    public var description: String {
        isGaiji
            ? "ENC-1: \(codePoint) at position \(position) is 外字 (user-defined); replace it with an MS932 character"
            : "ENC-1: '\(Character(scalar))' (\(codePoint)) at position \(position) is not in MS932"
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
