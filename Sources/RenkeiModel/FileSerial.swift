/// The ファイル連番: 14 digits `YYYYMMDDHHMMSS`, shared by every file of one send unit. Receivers process send
/// units in ascending order of it; it is not unique across senders.
///
/// Invariant: `rawValue` is 14 ASCII digits naming a real local date and time (seconds 00–59).
public struct FileSerial: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The 14 digits.
    public let rawValue: String

    /// The serial `rawValue`, or `nil` unless it is 14 digits naming a valid date and time.
    public init?(rawValue: String) {
        let bytes = Array(rawValue.utf8)
        guard bytes.count == 14, let month = YearMonth(ascii: bytes[0..<6]),
              let day = DecimalDigits.value(of: bytes[6..<8]), (1...month.dayCount).contains(day),
              let hour = DecimalDigits.value(of: bytes[8..<10]), hour < 24,
              let minute = DecimalDigits.value(of: bytes[10..<12]), minute < 60,
              let second = DecimalDigits.value(of: bytes[12..<14]), second < 60
        else { return nil }
        self.rawValue = rawValue
    }

    /// The serial for the given local date and time, or `nil` when it is not a real one.
    public init?(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
        let text = DecimalDigits.padded(year, width: 4) + DecimalDigits.padded(month, width: 2)
            + DecimalDigits.padded(day, width: 2) + DecimalDigits.padded(hour, width: 2)
            + DecimalDigits.padded(minute, width: 2) + DecimalDigits.padded(second, width: 2)
        self.init(rawValue: text)
    }

    /// The month the serial falls in.
    public var yearMonth: YearMonth { YearMonth(ascii: Array(rawValue.utf8)[0..<6])! }

    public static func < (lhs: FileSerial, rhs: FileSerial) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { rawValue }
}
