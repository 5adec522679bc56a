import CarePlanStandard
import RenkeiModel
import Testing

/// Every kind of layouts.json is checked from its layout: a record of valid sample values passes its field
/// checks, and a record one column short is refused.
@Suite struct EveryKindTests {
    static func sample(_ format: FieldFormat, definition: StandardDefinition) -> String {
        switch format {
        case .yearMonth, .yearMonthOrZeros: return "202506"
        case .date: return "20250601"
        case .dateOrZeros: return "00000000"
        case .time: return "0930"
        case .timeOr9999: return "9999"
        case .integer: return "1"
        case .decimal: return "10.00"
        case .insurerNumber: return "139999"
        case .insuredNumber: return "H000000001"
        case .officeNumber, .officeNumberOrAllNines: return "1310000002"
        case .serviceKind: return "2A"
        case .serviceCode, .serviceCodeOrRowCode: return "111111"
        case .taisCode: return "00001-000010"
        case .flags31: return ""
        case .postalCode: return "100-0001"
        case .phone: return "03-1234-5678"
        case .text: return "見本, \"テスト\"\r\n二行目"
        case .code(let list): return definition.codes(of: list).sorted().first ?? ""
        case .unused: return ""
        }
    }

    static let kinds = StandardDefinition.v41.layouts.keys.sorted()

    @Test(arguments: kinds)
    func validSampleRecordPassesAndAShortRecordIsRefused(kind: FileKind) throws {
        let definition = StandardDefinition.v41
        let layout = try #require(definition.layout(of: kind))
        let record = layout.columns.map { Self.sample($0.format, definition: definition) }
        let name = FileName(kind: kind, month: layout.hasMonthInName ? YearMonth("202506") : nil,
                            sender: OfficeNumber(rawValue: "1310000001")!, senderKind: ServiceKindCode(rawValue: "11")!,
                            recipient: OfficeNumber(rawValue: "1310000002")!, recipientKind: ServiceKindCode(rawValue: "15")!,
                            serial: FileSerial(rawValue: "20250525103000")!).rendered
        let bytes = try CarePlanWriter.bytes(of: [record, record], kind: kind)
        let fieldCodes: Set<FindingCode> = [.field, .fieldCode, .fieldUncertainRequired, .deletion, .columnCount, .encoding,
                                            .quoting, .unquotedText, .lineEnding, .fileName]
        let findings = Support.check(name, bytes).filter { fieldCodes.contains($0.code) }
        #expect(findings.isEmpty, "\(findings)")
        #expect(try CarePlanParser.records(of: bytes) == [record, record])

        var short: [UInt8] = []
        try CarePlanWriter.append(Array(record.dropLast()), textColumns: nil, recordNumber: 1, to: &short)
        let refused = Support.with("CSV-4", in: Support.check(name, short))
        #expect(refused.count == 1 && refused.first?.line == 1 && refused.first?.level == .error)
    }
}

/// Parent/child keys across the files of one send unit.
@Suite struct SendUnitKeyTests {
    let units = CarePlanGenerator(seed: 11, userCount: 6).sendUnits()

    @Test func secondTableRowWithoutItsFirstTable() throws {
        let plan = try #require(units.first { $0.definitionID == "KYOTAKU_PLAN" })
        var files = plan.files.map { ($0.fileName, $0.bytes) }
        let index = try #require(plan.files.firstIndex { $0.kind == .plan2 })
        var records = plan.files[index].records
        records[0][4] = "20000101"  // 居宅サービス計画作成（変更）日 no 第1表 has
        files[index].1 = try CarePlanWriter.bytes(of: records, kind: .plan2)
        let orphans = Support.with("KEY-1", in: Support.check(files).findings)
        #expect(orphans.count == 1 && orphans.first?.file == plan.files[index].fileName && orphans.first?.line == 1)
        #expect(orphans.first?.messageJA.contains("UP1KYO") == true)
    }

    @Test func supplementOfThePlanUnitJoinsTheFirstTable() throws {
        let plan = try #require(units.first { $0.definitionID == "KYOTAKU_PLAN" })
        var files = plan.files.map { ($0.fileName, $0.bytes) }
        let index = try #require(plan.files.firstIndex { $0.kind == .supplement })
        var records = plan.files[index].records
        records[records.count - 1][2] = "9999999999"  // a user with no 第1表
        files[index].1 = try CarePlanWriter.bytes(of: records, kind: .supplement)
        let orphans = Support.with("KEY-1", in: Support.check(files).findings)
        #expect(orphans.map(\.line) == [records.count])
    }

    @Test func aMissingMemberIsAWarningNotAnError() throws {
        let usage = try #require(units.first { $0.definitionID == "KYOTAKU_USAGE" })
        let report = Support.check(usage.files.filter { $0.kind != .usageAnnex }.map { ($0.fileName, $0.bytes) })
        #expect(!report.hasErrors)
        #expect(report.findings.map(\.code) == [.combination])
        #expect(report.findings.first?.messageEN.contains("UPSIKYU") == true)
    }
}
