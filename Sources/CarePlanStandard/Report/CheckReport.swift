/// Everything one check found: per file, and across the send units the files form.
public struct CheckReport: Sendable {
    /// Each file's result, in the order given.
    public let files: [FileCheckResult]
    /// Findings about send units (UNIT-1, UNIT-2, KEY-1, KEY-2) and limits.
    public let unitFindings: [Finding]

    /// A report.
    public init(files: [FileCheckResult], unitFindings: [Finding]) {
        self.files = files
        self.unitFindings = unitFindings
    }

    /// Every finding listed: by file (in the order given), then line and column.
    public var findings: [Finding] {
        let order = Dictionary(files.enumerated().map { ($1.file, $0) }, uniquingKeysWith: { first, _ in first })
        let all = files.flatMap(\.findings) + unitFindings
        return all.enumerated().sorted { left, right in
            let l = left.element, r = right.element
            let lk = (order[l.file] ?? Int.max, l.line ?? 0, l.column ?? 0, left.offset)
            let rk = (order[r.file] ?? Int.max, r.line ?? 0, r.column ?? 0, right.offset)
            return lk < rk
        }.map(\.element)
    }

    /// Errors, counting those past the per-file listing limit.
    public var errorCount: Int { files.reduce(0) { $0 + $1.errorCount } + unitFindings.filter { $0.level == .error }.count }
    /// Warnings, counting those past the per-file listing limit.
    public var warningCount: Int { files.reduce(0) { $0 + $1.warningCount } + unitFindings.filter { $0.level == .warning }.count }
    /// Whether any error was found: the files must not be sent (or accepted).
    public var hasErrors: Bool { errorCount > 0 }
}
