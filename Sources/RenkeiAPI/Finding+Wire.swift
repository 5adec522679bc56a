public import CarePlanStandard

extension Renkei_V1_Finding {
    /// A finding of the standard's checks, as the wire carries it.
    public init(_ finding: Finding) {
        self.init()
        file = finding.file
        line = UInt32(clamping: finding.line ?? 0)
        column = UInt32(clamping: finding.column ?? 0)
        rule = finding.code.rawValue
        severity = finding.level.rawValue
        messageJa = finding.messageJA
        messageEn = finding.messageEN
    }
}
