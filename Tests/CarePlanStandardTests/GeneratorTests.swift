import CarePlanStandard
import RenkeiModel
import Testing

@Suite struct GeneratorTests {
    let generator = CarePlanGenerator(seed: 42, month: YearMonth("202506")!, userCount: 25)

    @Test func generatedSendUnitsCheckCleanWithoutErrorsOrWarnings() {
        let units = generator.sendUnits()
        let files = units.flatMap(\.files)
        #expect(units.count >= 9 && Set(units.map(\.definitionID)) == ["KYOTAKU_PLAN", "KYOTAKU_USAGE", "SERVICE_ACTUAL"])
        let report = Support.check(files.map { ($0.fileName, $0.bytes) })
        #expect(report.errorCount == 0 && report.warningCount == 0, "\(report.findings.prefix(5))")
        for unit in units {
            #expect(SendUnit(files: unit.files.map(\.name)).matchingDefinition()?.id == unit.definitionID)
        }
    }

    @Test func parseWriteParseIsTheIdentityOnGeneratedData() throws {
        for file in generator.sendUnits().flatMap(\.files) {
            let parsed = try CarePlanParser.records(of: file.bytes)
            #expect(parsed == file.records)
            let written = try CarePlanWriter.bytes(of: parsed, kind: file.kind)
            #expect(written == file.bytes)
            #expect(try CarePlanParser.records(of: written) == parsed)
            #expect(try FileName.parse(file.fileName) == file.name)
        }
    }

    @Test func sameSeedSameBytesOtherSeedOtherBytes() {
        let again = CarePlanGenerator(seed: 42, month: YearMonth("202506")!, userCount: 25).sendUnits()
        #expect(again == generator.sendUnits())
        let other = CarePlanGenerator(seed: 43, month: YearMonth("202506")!, userCount: 25).sendUnits()
        #expect(other.flatMap(\.files).map(\.bytes) != again.flatMap(\.files).map(\.bytes))
    }

    @Test func dataIsRealistic() throws {
        let files = generator.sendUnits().flatMap(\.files)
        let plans = files.filter { $0.kind == .usagePlan }.flatMap(\.records)
        // Every day of the month has services, from several kinds and offices, for many users.
        #expect(Set(plans.map { $0[9] }).count == 30)
        #expect(Set(plans.map { $0[14].prefix(2) }).count >= 5)
        #expect(Set(plans.map { $0[19] }).count >= 6)
        #expect(Set(plans.map { $0[2] }).count == 25)
        let text = files.filter { $0.kind == .plan1 }.flatMap(\.records).map { $0[23] }
        #expect(text.contains { $0.contains("\r\n") })
        #expect(files.filter { $0.kind == .usagePlan }.allSatisfy { $0.bytes.contains { $0 >= 0x80 } })
    }

    @Test(arguments: CarePlanGenerator.generatedKinds)
    func filesOfRoughlyAGivenSize(kind: FileKind) throws {
        let file = try #require(generator.file(kind: kind, approximateByteCount: 10 << 10))
        #expect(file.kind == kind)
        #expect(file.bytes.count >= 10 << 10 && file.bytes.count < 40 << 10, "\(file.bytes.count)")
        let result = StandardChecker().checkFile(CheckInput(name: file.fileName, source: .bytes(file.bytes)))
        #expect(result.errorCount == 0 && result.warningCount == 0, "\(result.findings.prefix(3))")
        #expect(generator.file(kind: kind, approximateByteCount: 10 << 10)?.bytes == file.bytes)
    }

    @Test func kindsItDoesNotMakeGiveNil() {
        #expect(generator.file(kind: .basicInfo, approximateByteCount: 1000) == nil)
    }
}
