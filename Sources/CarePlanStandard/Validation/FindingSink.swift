/// Collects one file's findings up to a limit; past it, findings are counted (so the verdict stays right) and
/// one LIMIT-3 finding says how many were left out.
struct FindingSink {
    let file: String
    let limit: Int
    private(set) var findings: [Finding] = []
    private(set) var errorCount = 0
    private(set) var warningCount = 0
    private var suppressed = 0
    /// Codes reported once per file (CSV-2 per column, CSV-3, VER-2), so a file does not repeat itself.
    private var reportedOnce: Set<String> = []

    init(file: String, limit: Int) {
        self.file = file
        self.limit = limit
    }

    mutating func add(_ finding: Finding) {
        if finding.level == .error { errorCount += 1 } else { warningCount += 1 }
        if findings.count < limit { findings.append(finding) } else { suppressed += 1 }
    }

    mutating func add(line: Int?, column: ColumnSpec?, code: FindingCode, level: FindingLevel, ja: String, en: String) {
        add(Finding(file: file, line: line, column: column?.number, columnName: column?.nameJA, code: code,
                    level: level, ja: ja, en: en))
    }

    /// Adds the finding only the first time `key` is seen.
    mutating func addOnce(key: String, line: Int?, column: ColumnSpec?, code: FindingCode, level: FindingLevel,
                          ja: String, en: String) {
        guard reportedOnce.insert(key).inserted else { return }
        add(line: line, column: column, code: code, level: level, ja: ja, en: en)
    }

    /// The findings, with a LIMIT-3 note when some were left out.
    func finished() -> [Finding] {
        guard suppressed > 0 else { return findings }
        return findings + [Finding(file: file, code: .tooManyFindings, level: .warning,
                                   ja: "指摘が多すぎるため、残り \(suppressed) 件は表示していません。",
                                   en: "Too many findings; \(suppressed) more are not listed.")]
    }
}
