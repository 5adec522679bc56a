/// A 介護保険事業所番号: the ten digits that name a care office (居宅介護支援事業所, サービス事業所).
///
/// Invariant: `rawValue` is exactly ten ASCII digits.
public struct OfficeNumber: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The ten digits.
    public let rawValue: String

    /// The office number `rawValue`, or `nil` unless it is exactly ten ASCII digits.
    public init?(rawValue: String) {
        guard rawValue.utf8.count == 10, rawValue.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        self.rawValue = rawValue
    }

    /// The office number in `bytes` (ASCII), or `nil` unless they are exactly ten digits. Inlinable, so a
    /// caller's scan of millions of envelopes runs it specialized to its bytes' type.
    @inlinable public init?<Bytes: Collection<UInt8>>(ascii bytes: Bytes) {
        guard bytes.count == 10, bytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        self.rawValue = String(decoding: bytes, as: UTF8.self)
    }

    /// `9999999999`: the 第7表 全合計 row's office code, which names no office.
    public static let allNines = OfficeNumber(rawValue: "9999999999")!

    public static func < (lhs: OfficeNumber, rhs: OfficeNumber) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { rawValue }
}
