/// Collects one file's findings up to a limit; past it, findings are counted (so the verdict stays right) and
/// one LIMIT-3 finding says how many were left out.
///
/// Messages are formatted only for the findings that are listed: the message arguments are closures the sink
/// calls while it is below its limit, so a hostile file with millions of bad fields costs a counter increment
/// per finding past the limit, not two formatted strings.
struct FindingSink {
    let file: String
    let limit: Int
    private(set) var findings: [Finding] = []
    private(set) var errorCount = 0
    private(set) var warningCount = 0
    /// Findings counted but not listed (past `limit`).
    private(set) var suppressed = 0
    /// How many messages were formatted: equal to `findings.count` for findings added with their messages as
    /// closures (the tests read it to prove that nothing past the limit is formatted).
    private(set) var formattedCount = 0
    /// Codes reported once per file (CSV-2 per column, CSV-3, VER-2), so a file does not repeat itself.
    private var reportedOnce: Set<String> = []

    init(file: String, limit: Int) {
        self.file = file
        self.limit = max(0, limit)
    }

    /// Whether the next finding will be listed (otherwise it is only counted).
    var isListing: Bool { findings.count < limit }

    /// Adds a finding built by the caller (already formatted: for the few findings made before the sink exists).
    /// With `evenPastLimit`, it is listed whatever the count (a LIMIT finding about the file must not be hidden).
    mutating func add(_ finding: Finding, evenPastLimit: Bool = false) {
        count(finding.level)
        if isListing || evenPastLimit { findings.append(finding) } else { suppressed += 1 }
    }

    /// Adds a finding of this file whose messages are formatted only when it is listed.
    mutating func add(line: Int?, column: ColumnSpec?, code: FindingCode, level: FindingLevel,
                      ja: @autoclosure () -> String, en: @autoclosure () -> String) {
        add(file: file, line: line, column: column?.number, columnName: column?.nameJA, code: code, level: level,
            ja: ja(), en: en())
    }

    /// Adds a finding labelled `file` (a send unit's key findings carry the child file's name) whose messages
    /// are formatted only when it is listed.
    mutating func add(file: String, line: Int?, column: Int? = nil, columnName: String? = nil, code: FindingCode,
                      level: FindingLevel, ja: @autoclosure () -> String, en: @autoclosure () -> String) {
        count(level)
        guard isListing else { suppressed += 1; return }
        formattedCount += 1
        findings.append(Finding(file: file, line: line, column: column, columnName: columnName, code: code,
                                level: level, ja: ja(), en: en()))
    }

    /// Adds the finding only the first time `key` is seen.
    mutating func addOnce(key: String, line: Int?, column: ColumnSpec?, code: FindingCode, level: FindingLevel,
                          ja: @autoclosure () -> String, en: @autoclosure () -> String) {
        guard reportedOnce.insert(key).inserted else { return }
        add(line: line, column: column, code: code, level: level, ja: ja(), en: en())
    }

    private mutating func count(_ level: FindingLevel) {
        if level == .error { errorCount += 1 } else { warningCount += 1 }
    }

    /// The findings, with a LIMIT-3 note when some were left out.
    func finished() -> [Finding] {
        guard suppressed > 0 else { return findings }
        return findings + [Finding(file: file, code: .tooManyFindings, level: .warning,
                                   ja: "指摘が多すぎるため、残り \(suppressed) 件は表示していません。",
                                   en: "Too many findings; \(suppressed) more are not listed.")]
    }
}
