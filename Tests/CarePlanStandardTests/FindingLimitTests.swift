@testable import CarePlanStandard
import Testing

/// Past the per-file finding limit, findings are counted and never formatted; a user's 全合計 rows are counted,
/// not listed, however many a hostile 第7表 holds.
@Suite struct FindingLimitTests {
    @Test func theSinkFormatsOnlyTheMessagesItLists() {
        var sink = FindingSink(file: Support.upplan, limit: 3)
        var formatted = 0
        func message() -> String { formatted += 1; return "formatted" }
        for line in 1...10 {
            sink.add(line: line, column: nil, code: .field, level: line.isMultiple(of: 2) ? .error : .warning,
                     ja: message(), en: message())
        }
        #expect(formatted == 6)  // three findings, two languages
        #expect(sink.formattedCount == 3)
        #expect(sink.errorCount == 5 && sink.warningCount == 5)
        let listed = sink.finished()
        #expect(listed.map(\.line) == [1, 2, 3, nil])
        #expect(listed.last?.code == .tooManyFindings && listed.last?.messageEN.contains("7 more") == true)
    }

    @Test func aLimitFindingIsListedEvenPastTheLimit() {
        var sink = FindingSink(file: Support.upplan, limit: 1)
        sink.add(line: 1, column: nil, code: .field, level: .error, ja: "a", en: "a")
        sink.add(line: 2, column: nil, code: .field, level: .error, ja: "b", en: "b")
        sink.add(Finding(file: Support.upplan, line: 3, code: .tooManyKeys, level: .warning, ja: "c", en: "c"), evenPastLimit: true)
        #expect(sink.finished().map(\.code) == [.field, .tooManyKeys, .tooManyFindings])
    }

    /// Runs the validator over `bytes` as ``StandardChecker/checkFile(_:)`` does, and hands it back.
    static func validate(_ name: String, _ bytes: [UInt8], findingLimit: Int) throws -> FileValidator {
        let parsed = try FileName.parse(name)
        var validator = FileValidator(label: name, name: parsed, kind: parsed.kind, definition: .v41, findingLimit: findingLimit)
        var reader = CSVReader()
        bytes.withUnsafeBufferPointer { chunk in reader.consume(chunk) { validator.validate($0) } }
        reader.finish { validator.validate($0) }
        _ = validator.finish()
        return validator
    }

    @Test func aFileOfThousandsOfBadFieldsFormatsOnlyTheListedMessages() throws {
        // Every record has a bad start time and a bad service code: two FLD-1 errors a record.
        let records = 5_000
        let hostile = try Support.edited(Support.upplan) { rows in
            let template = rows[0]
            rows = (0..<records).map { _ in var row = template; row[11] = "2561"; row[14] = "11111"; return row }
        }
        let validator = try Self.validate(Support.upplan, hostile, findingLimit: 10)
        #expect(validator.sink.errorCount == 2 * records)
        #expect(validator.sink.formattedCount == 10)
        #expect(validator.sink.suppressed == 2 * records - 10)
        let listed = validator.sink.finished()
        #expect(listed.prefix(10).allSatisfy { $0.code == .field && $0.level == .error })
        #expect(listed.last?.messageEN.contains("\(2 * records - 10) more") == true)
    }

    @Test func aUserWithTensOfThousandsOfGrandTotalRowsIsOneFindingWithItsCount() throws {
        let grandTotals = 50_000
        let bytes = try Support.edited(Support.upsikyu) { records in
            let detail = records[5], grand = records[6]  // user 2: one row of 880, and its 全合計
            records = [detail] + Array(repeating: grand, count: grandTotals)
        }
        let findings = Support.check(Support.upsikyu, bytes)
        let t71 = Support.with("T7-1", in: findings)
        #expect(t71.count == 1, "\(t71.prefix(3))")
        #expect(t71.first?.level == .error && t71.first?.line == 3)
        #expect(t71.first?.messageEN.contains("has \(grandTotals) grand-total rows") == true)
        #expect(Support.with("T7-4", in: findings).isEmpty)
        #expect(findings.count == 1, "\(findings.prefix(3))")
    }
}
