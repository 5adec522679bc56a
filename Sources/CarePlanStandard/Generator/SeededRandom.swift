import RenkeiModel

/// A small, fast, seeded generator (SplitMix64). The generator's own helpers (not the standard library's
/// `random(in:)`, whose algorithm may change) turn it into choices, so one seed gives the same bytes everywhere.
struct SeededRandom {
    private var generator: SplitMix64

    init(seed: UInt64) { generator = SplitMix64(seed: seed &+ 0x9E37_79B9_7F4A_7C15) }

    mutating func next() -> UInt64 { generator.next() }

    /// A number in `0..<bound` (bound > 0).
    mutating func below(_ bound: Int) -> Int {
        Int(truncatingIfNeeded: (next() >> 11) % UInt64(max(1, bound)))
    }

    /// A number in `range`.
    mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + below(range.count) }

    /// True with probability `percent` / 100.
    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }

    /// One element of `items` (which must not be empty).
    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }

    /// `count` distinct elements of `items`, in their original order.
    mutating func sample<T>(_ items: [T], count: Int) -> [T] {
        var indices = Array(items.indices)
        var chosen: [Int] = []
        for _ in 0..<min(count, items.count) { chosen.append(indices.remove(at: below(indices.count))) }
        return chosen.sorted().map { items[$0] }
    }

    /// `count` decimal digits.
    mutating func digits(_ count: Int) -> String { String((0..<count).map { _ in Character(String(below(10))) }) }
}

/// A calendar date, enough for the generator: days of a month, weekdays, YYYYMMDD.
struct CivilDate: Hashable, Comparable {
    var year: Int, month: Int, day: Int

    /// 1 = Monday … 7 = Sunday (the standard's 曜日 codes).
    var weekday: Int {
        let table = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4]
        let y = month < 3 ? year - 1 : year
        let sundayBased = (y + y / 4 - y / 100 + y / 400 + table[month - 1] + day) % 7  // 0 = Sunday
        return sundayBased == 0 ? 7 : sundayBased
    }

    var text: String {
        String(format4: year) + String(format2: month) + String(format2: day)
    }

    func adding(months: Int) -> CivilDate {
        let total = year * 12 + (month - 1) + months
        return CivilDate(year: total / 12, month: total % 12 + 1, day: min(day, 28))
    }

    static func < (lhs: CivilDate, rhs: CivilDate) -> Bool { (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day) }
}

extension String {
    init(format2 value: Int) { self = value < 10 ? "0\(value)" : "\(value)" }
    init(format4 value: Int) { self = String(String(value).leftPadded(to: 4)) }
}
