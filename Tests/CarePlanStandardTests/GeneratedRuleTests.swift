import CarePlanStandard
import RenkeiModel
import Testing

/// T7-4's limit arithmetic, T6-3's 日割 and satellite columns and T6-5 on 第7表, each shown on a file the
/// generator made (which passes clean) and then edited to break the rule.
@Suite struct GeneratedRuleTests {
    let units = CarePlanGenerator(seed: 21, month: YearMonth(year: 2025, month: 6)!, userCount: 4).sendUnits()

    func file(_ kind: FileKind) -> GeneratedFile { units.flatMap(\.files).first { $0.kind == kind }! }

    func findings(_ code: String, _ file: GeneratedFile, _ edit: (inout [[String]]) -> Void) throws -> [Finding] {
        var records = file.records
        edit(&records)
        return Support.with(code, in: Support.check(file.fileName, try CarePlanWriter.bytes(of: records, kind: file.kind)))
    }

    func column(_ kind: FileKind, _ key: String) -> Int { StandardDefinition.v41.layout(of: kind)!.index(of: key)! }

    @Test func theGeneratedFilesPassClean() {
        for name in [FileKind.usagePlan, .usageAnnex, .actual] {
            #expect(Support.check(file(name).fileName, file(name).bytes).isEmpty, "\(name)")
        }
    }

    @Test func unitsWithinAndOverTheClassLimitAddUpToTheBenefitManagedUnits() throws {
        let annex = file(.usageAnnex)
        let managed = column(.usageAnnex, "benefitManagedUnits"), within = column(.usageAnnex, "classLimitWithinUnits"),
            excess = column(.usageAnnex, "classLimitExcessUnits")
        let row = try #require(annex.records.firstIndex { !$0[managed].isEmpty && !$0[within].isEmpty && !$0[excess].isEmpty })
        let found = try findings("T7-4", annex) { records in
            records[row][within] = String((Int(records[row][within]) ?? 0) + 7)
        }
        let finding = try #require(found.first { $0.messageEN.contains("class limit") })
        #expect(finding.line == row + 1 && finding.column == managed + 1 && finding.level == .warning)
    }

    @Test func proratedDaysThatMarkNoDayAreReported() throws {
        let plan = file(.usagePlan)
        let days = column(.usagePlan, "proratedDays")
        let found = try findings("T6-3", plan) { $0[1][days] = String(repeating: "0", count: 31) }
        #expect(found.map(\.line) == [2] && found.first?.column == days + 1)
        #expect(try findings("T6-3", plan) { $0[1][days] = "1111100000000000000000000000000" }.isEmpty)
    }

    @Test func satelliteBranchNumbersAreAllOrNothingForAnOfficeAndKind() throws {
        let plan = file(.usagePlan)
        let branch = column(.usagePlan, "satelliteBranchNo"), provider = column(.usagePlan, "serviceProviderNo"),
            code = column(.usagePlan, "serviceCode")
        let first = plan.records[0]
        let same = plan.records.indices.filter { plan.records[$0][provider] == first[provider] && plan.records[$0][code].prefix(2) == first[code].prefix(2) }
        try #require(same.count >= 2)
        // Every row of the office and kind names branch 2 (one satellite's rows alone): fine.
        #expect(try findings("T6-3", plan) { records in for index in same { records[index][branch] = "2" } }.isEmpty)
        // One row names a branch, the others none: reported once, at the row that made the mix.
        let mixed = try findings("T6-3", plan) { $0[same[1]][branch] = "2" }
        #expect(mixed.map(\.line) == [same[1] + 1])
        // Branch 0 does not exist.
        let zero = try findings("T6-3", plan) { records in for index in same { records[index][branch] = "0" } }
        #expect(zero.count == same.count && zero.allSatisfy { $0.messageEN.contains("branch 0") })
    }

    @Test func aServiceKindOutsideTheExchangeIsReportedOnTable7Too() throws {
        let annex = file(.usageAnnex)
        let code = column(.usageAnnex, "serviceCode")
        let row = try #require(annex.records.firstIndex { $0[code].allSatisfy(\.isNumber) && $0[code] != "999999" && !$0[code].hasSuffix("AAAA") })
        let found = try findings("T6-5", annex) { $0[row][code] = "99" + $0[row][code].dropFirst(2) }
        #expect(found.count == 1 && found.first?.line == row + 1 && found.first?.level == .warning)
    }
}

/// The generator exercises every layout: the deletion and 予防 units join the month's units, and each passes
/// the checker clean, file by file and as a unit.
@Suite struct EveryUnitKindTests {
    @Test func everyKindOfSendUnitIsGeneratedAndPassesClean() throws {
        let units = CarePlanGenerator(seed: 5, month: YearMonth(year: 2025, month: 6)!, userCount: 3).sendUnitsOfEveryKind()
        let definitions = Set(units.map(\.definitionID))
        for id in ["KYOTAKU_PLAN", "KYOTAKU_USAGE", "SERVICE_ACTUAL", "KYOTAKU_PLAN_DELETE", "KYOTAKU_USAGE_DELETE",
                   "SERVICE_ACTUAL_DELETE", "YOBO_KIHON", "YOBO_PLAN", "YOBO_KIHON_DELETE", "YOBO_PLAN_DELETE"] {
            #expect(definitions.contains(id), "no \(id) unit")
        }
        let kinds = Set(units.flatMap(\.files).map(\.kind))
        for layout in StandardDefinition.v41.layouts.keys {
            #expect(kinds.contains(layout), "no generated file of \(layout)")
        }
        for file in units.flatMap(\.files) where file.kind != .basicInfoImage {
            let columns = StandardDefinition.v41.layout(of: file.kind)!.columns.count
            #expect(!file.records.isEmpty && file.records.allSatisfy { $0.count == columns }, "\(file.fileName)")
        }
        for unit in units {
            let report = StandardChecker().check(unit.files.map { CheckInput(name: $0.fileName, source: .bytes($0.bytes)) })
            #expect(report.findings.isEmpty, "\(unit.definitionID): \(report.findings.prefix(3).map(\.description))")
            let names = unit.files.map(\.name)
            #expect(SendUnit(files: names).matchingDefinition()?.id == unit.definitionID || unit.definitionID.hasPrefix("YOBO"),
                    "\(unit.definitionID) matched \(String(describing: SendUnit(files: names).matchingDefinition()?.id))")
        }
    }
}

/// OFFICE-1: a 第1表 names the sending 居宅 office as its 介護支援事業者, and an office deletes only its own 実績.
@Suite struct RowSenderTests {
    let units = CarePlanGenerator(seed: 8, month: YearMonth(year: 2025, month: 6)!, userCount: 3).sendUnitsOfEveryKind()

    func check(_ kind: FileKind, _ key: String, _ value: String) throws -> [Finding] {
        let file = units.flatMap(\.files).first { $0.kind == kind }!
        let index = StandardDefinition.v41.layout(of: kind)!.index(of: key)!
        var records = file.records
        records[0][index] = value
        return Support.with("OFFICE-1", in: Support.check(file.fileName, try CarePlanWriter.bytes(of: records, kind: kind)))
    }

    @Test func up1kyoNamesTheSenderAsItsCareManagementOffice() throws {
        let found = try check(.plan1, "careManagementOfficeNo", "1399999999")
        #expect(found.count == 1 && found[0].level == .error && found[0].line == 1 && found[0].messageEN.contains("1399999999"))
    }

    @Test func dltjskDeletesOnlyTheSendersOwnActuals() throws {
        #expect(try check(.actualDelete, "serviceProviderNo", "1399999999").count == 1)
        #expect(try check(.actualDelete, "serviceKind", "99").count == 1)
    }
}
