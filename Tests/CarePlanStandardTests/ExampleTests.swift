import CarePlanStandard
import Testing

@Suite struct ExampleTests {
    @Test func theFiveExamplesHaveNoErrorsAndOnlyThePartialUnitWarning() throws {
        let report = Support.check(try Support.allExamples.map { ($0, try Support.bytes(of: $0)) })
        #expect(report.errorCount == 0, "\(report.findings)")
        // UP1KYO is a partial 第1表 unit on purpose (README §11); that is the one warning.
        #expect(report.findings.map(\.code) == [.combination])
        let warning = try #require(report.findings.first)
        #expect(warning.level == .warning && warning.file == Support.up1kyo)
        #expect(warning.messageEN.contains("UP2KYO") && warning.messageEN.contains("UP3KYO"))
    }

    @Test func examplesReadFromDiskInSmallChunksGiveTheSameFindingsAsInMemory() throws {
        let checker = StandardChecker()
        for example in Support.allExamples {
            let path = Support.fixtures.appendingPathComponent(example).path
            let chunked = checker.checkFile(CheckInput(name: example, source: .path(path, chunkSize: 7)))
            let whole = checker.checkFile(CheckInput(name: example, source: .bytes(try Support.bytes(of: example))))
            #expect(chunked.findings == whole.findings)
            #expect(chunked.facts.recordCount == whole.facts.recordCount && chunked.facts.recordCount > 0)
            #expect(chunked.byteCount == whole.byteCount)
        }
    }

    @Test func theFirstTableExampleKeepsItsCommaQuotesAndLineBreak() throws {
        let records = try Support.records(of: Support.up1kyo)
        #expect(records.count == 1)
        let record = try #require(records.first)
        #expect(record.count == 28)
        let assessment = record[21]
        #expect(assessment.contains(", "))
        #expect(assessment.contains("\"無理のない範囲で\""))
        #expect(assessment.contains("\r\n"))
    }
}
