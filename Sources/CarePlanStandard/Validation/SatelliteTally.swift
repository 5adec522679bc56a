/// T6-3's satellite rule across a 第6表 file: サテライト枝番 is given only when satellites of one office and
/// service kind exist, and then on each of their rows — so the rows of one (office, kind) either all carry
/// a branch number or none do. A file may hold one satellite's rows alone, so a single branch is not a
/// finding; a mix is, once per (office, kind), at the first row that breaks the pattern.
struct SatelliteTally {
    private struct Seen {
        var withBranch: Int?
        var withoutBranch: Int?
        var reported = false
    }
    /// Every (office, kind) seen, keyed by the office number's bytes followed by the kind's two bytes — except
    /// the one of the latest row, which is kept in `latest` until a row of another one comes (a file's rows of
    /// one office and kind mostly come together, so most rows cost a comparison, not a hash and a lookup).
    private var offices: [[UInt8]: Seen] = [:]
    private var latest: (key: [UInt8], seen: Seen)?
    /// The lines where an (office, kind) first mixed rows with and without a branch number.
    private(set) var mixedLines: [Int] = []

    /// Notes one row of `office` (a 事業所番号) and `kind` at `line`. Bounded by the file's distinct offices.
    mutating func note(office: UnsafeBufferPointer<UInt8>, kind: ServiceKindBytes, hasBranch: Bool, line: Int) {
        var entry: (key: [UInt8], seen: Seen)
        if let latest, Self.key(latest.key, is: office, kind) {
            entry = latest
        } else {
            if let latest { offices[latest.key] = latest.seen }
            let key = Array(office) + [kind.first, kind.second]
            entry = (key, offices[key] ?? Seen())
        }
        self.latest = nil  // keep `entry.key` uniquely referenced
        if hasBranch {
            entry.seen.withBranch = entry.seen.withBranch ?? line
        } else {
            entry.seen.withoutBranch = entry.seen.withoutBranch ?? line
        }
        if !entry.seen.reported, entry.seen.withBranch != nil, entry.seen.withoutBranch != nil {
            entry.seen.reported = true
            mixedLines.append(line)
        }
        latest = entry
    }

    private static func key(_ key: [UInt8], is office: UnsafeBufferPointer<UInt8>, _ kind: ServiceKindBytes) -> Bool {
        key.count == office.count + 2 && key[office.count] == kind.first && key[office.count + 1] == kind.second
            && key.withUnsafeBufferPointer { UnsafeBufferPointer(rebasing: $0[0..<office.count]).hasSameBytes(as: office) }
    }
}
