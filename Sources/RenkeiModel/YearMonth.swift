/// A calendar month, written `YYYYMM` in the standard (サービス提供年月, 対象年月).
///
/// Invariant: `1 <= month <= 12`, `0 <= year <= 9999`.
public struct YearMonth: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The year, e.g. 2025.
    public let year: Int
    /// The month, 1–12.
    public let month: Int

    /// The month `month` of `year`, or `nil` when either is out of range.
    @inlinable public init?(year: Int, month: Int) {
        guard (0...9999).contains(year), (1...12).contains(month) else { return nil }
        self.year = year
        self.month = month
    }

    /// The month written `YYYYMM`, or `nil` unless `text` is six digits with a month 01–12.
    public init?(_ text: String) {
        self.init(ascii: Array(text.utf8))
    }

    /// The month in the six ASCII digits `bytes`, or `nil`.
    @inlinable public init?<Bytes: Collection<UInt8>>(ascii bytes: Bytes) {
        guard bytes.count == 6, let value = DecimalDigits.value(of: bytes) else { return nil }
        self.init(year: value / 100, month: value % 100)
    }

    /// The number of days in the month (Gregorian calendar).
    @inlinable public var dayCount: Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// The following month, or `nil` after 999912 (the last month `YYYYMM` can write).
    public var next: YearMonth? {
        month == 12 ? YearMonth(year: year + 1, month: 1) : YearMonth(year: year, month: month + 1)
    }

    /// `YYYYMM`.
    public var description: String { DecimalDigits.padded(year, width: 4) + DecimalDigits.padded(month, width: 2) }

    public static func < (lhs: YearMonth, rhs: YearMonth) -> Bool {
        (lhs.year, lhs.month) < (rhs.year, rhs.month)
    }
}

/// Small helpers for the fixed-width decimal fields of the standard.
public enum DecimalDigits {
    /// The value of `bytes` when every byte is an ASCII digit (at most 18 of them), else `nil`.
    @inlinable public static func value<Bytes: Collection<UInt8>>(of bytes: Bytes) -> Int? {
        guard !bytes.isEmpty, bytes.count <= 18 else { return nil }
        var value = 0
        for byte in bytes {
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        return value
    }

    /// `value` in decimal, left-padded with zeros to `width` digits.
    public static func padded(_ value: Int, width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
