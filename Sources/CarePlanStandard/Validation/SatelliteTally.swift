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
    private var offices: [[UInt8]: Seen] = [:]
    /// The lines where an (office, kind) first mixed rows with and without a branch number.
    private(set) var mixedLines: [Int] = []

    /// Notes one row of `office` (its number and kind) at `line`. Bounded by the file's distinct offices.
    mutating func note(office: [UInt8], hasBranch: Bool, line: Int) {
        var seen = offices[office] ?? Seen()
        if hasBranch { seen.withBranch = seen.withBranch ?? line } else { seen.withoutBranch = seen.withoutBranch ?? line }
        if !seen.reported, seen.withBranch != nil, seen.withoutBranch != nil {
            seen.reported = true
            mixedLines.append(line)
        }
        offices[office] = seen
    }
}
