public import RenkeiModel

/// A calendar day in Japan (JST, UTC+9, no daylight saving): the unit of licence periods, retention and
/// "licensed on the day of sending".
public struct CivilDay: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Days since 1970-01-01.
    public let daysSinceEpoch: Int64

    /// The day `daysSinceEpoch` days after 1970-01-01.
    public init(daysSinceEpoch: Int64) { self.daysSinceEpoch = daysSinceEpoch }

    /// The day in Japan at `timestamp`.
    public init(_ timestamp: Timestamp) {
        let micros = timestamp.rawValue + 9 * 3600 * 1_000_000
        daysSinceEpoch = micros >= 0 ? micros / 86_400_000_000 : (micros - 86_399_999_999) / 86_400_000_000
    }

    /// The day `year`-`month`-`day`, or nil if there is no such day.
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month), let ym = YearMonth(year: year, month: month),
              (1...ym.dayCount).contains(day) else { return nil }
        // Days from civil (H. Hinnant's algorithm).
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = Int64((month + 9) % 12)
        let doy = (153 * mp + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        daysSinceEpoch = era * 146_097 + doe - 719_468
    }

    /// The day written `yyyymmdd`, or nil.
    public init?(yyyymmdd: UInt32) {
        self.init(year: Int(yyyymmdd / 10000), month: Int(yyyymmdd / 100 % 100), day: Int(yyyymmdd % 100))
    }

    /// Year, month and day.
    public var components: (year: Int, month: Int, day: Int) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = Int(doy - (153 * mp + 2) / 5 + 1)
        let month = Int(mp < 10 ? mp + 3 : mp - 9)
        return (Int(yoe + era * 400) + (month <= 2 ? 1 : 0), month, day)
    }

    /// `yyyymmdd`.
    public var yyyymmdd: UInt32 {
        let (y, m, d) = components
        return UInt32(y * 10000 + m * 100 + d)
    }

    /// The day `count` days later.
    public func adding(days count: Int) -> CivilDay { CivilDay(daysSinceEpoch: daysSinceEpoch + Int64(count)) }

    /// The same date one year later (29 February becomes 1 March).
    public var nextYear: CivilDay {
        let (y, m, d) = components
        return CivilDay(year: y + 1, month: m, day: d) ?? CivilDay(year: y + 1, month: 3, day: 1)!
    }

    /// The Japanese fiscal year (April to March) the day falls in, by its starting year.
    public var fiscalYear: Int {
        let (y, m, _) = components
        return m >= 4 ? y : y - 1
    }

    /// The first moment of the day in Japan.
    public var start: Timestamp { Timestamp(rawValue: daysSinceEpoch * 86_400_000_000 - 9 * 3600 * 1_000_000) }

    public static func < (lhs: CivilDay, rhs: CivilDay) -> Bool { lhs.daysSinceEpoch < rhs.daysSinceEpoch }

    /// `2026-11-29`.
    public var description: String {
        let (y, m, d) = components
        return DecimalDigits.padded(y, width: 4) + "-" + DecimalDigits.padded(m, width: 2) + "-" + DecimalDigits.padded(d, width: 2)
    }
}
