import CarePlanStandard
import RenkeiModel
import Testing

/// Many send units in one check: every file lands in its own (連番, sender) unit and the unit checks see exactly
/// that unit's files, whatever order the files come in.
@Suite struct SendUnitGroupingTests {
    /// The 第6表 unit (UPPLAN, UPSIKYU, UPHOSOKU) of `units` senders, several sharing each 連番.
    static func names(units: Int) throws -> [FileName] {
        try (0..<units).flatMap { unit -> [FileName] in
            let sender = "14" + String(10_000_000 + unit / 3)                 // three senders per 連番 …
            let serial = "202505" + String(25_000_000 + unit % 3 * 100 + unit / 3 % 60)  // … and 連番 shared across them
            return try ["UPPLAN", "UPSIKYU", "UPHOSOKU"].map { kind in
                try FileName.parse("\(kind)_202506_\(sender)_43_1310000002_11_\(serial).CSV")
            }
        }
    }

    @Test func thousandsOfUnitsAreGroupedBySerialAndSenderInSerialOrder() throws {
        let units = 3_000
        let names = try Self.names(units: units)
        // Kinds apart, as a folder listed by name has them: every UPHOSOKU, then every UPPLAN, then every UPSIKYU.
        let listed = names.sorted { $0.rendered < $1.rendered }
        let grouped = SendUnit.group(listed)
        #expect(grouped.count == units)
        #expect(grouped.allSatisfy { $0.files.count == 3 })
        #expect(grouped.allSatisfy { unit in unit.files.allSatisfy { $0.serialText == unit.serialText && $0.sender == unit.sender } })
        #expect(grouped.allSatisfy { $0.matchingDefinition()?.id == "KYOTAKU_USAGE" })
        #expect(Set(grouped.flatMap(\.files)) == Set(names))
        let order = grouped.map { "\($0.serialText)/\($0.sender)" }
        #expect(order == order.sorted())
        #expect(Set(order).count == units)
        #expect(SendUnit.group(Array(listed.reversed())) == grouped)
    }

    @Test func eachUnitsKeyChecksSeeOnlyItsOwnFiles() throws {
        // Twenty offices' months in one check, files in name order (kinds apart): every unit checks clean of
        // unit and key findings; one user missing from one plan is found in that unit's 第7表 and 補足 alone.
        var files = (1...20).flatMap { seed in
            CarePlanGenerator(seed: UInt64(seed), month: YearMonth("202506")!, userCount: 3).sendUnits().flatMap(\.files)
        }
        files.sort { $0.fileName < $1.fileName }
        let crossUnit: Set<String> = ["UNIT-1", "UNIT-2", "KEY-1", "KEY-2"]
        let clean = Support.check(files.map { ($0.fileName, $0.bytes) })
        #expect(files.count > 600)
        #expect(!clean.findings.contains { crossUnit.contains($0.code.rawValue) }, "\(clean.findings.prefix(3))")

        let target = try #require(files.firstIndex { $0.kind == .usagePlan && Set($0.records.map { $0[2] }).count >= 2 })
        let dropped = try #require(files[target].records.last?[2])
        let plan = files[target]
        let kept = plan.records.filter { $0[2] != dropped }
        let bytes = try CarePlanWriter.bytes(of: kept, kind: .usagePlan)
        var inputs = files.map { ($0.fileName, $0.bytes) }
        inputs[target] = (plan.fileName, bytes)
        let report = Support.check(inputs)
        let orphans = report.findings.filter { crossUnit.contains($0.code.rawValue) }
        #expect(orphans.map(\.code.rawValue) == ["KEY-1", "KEY-1"], "\(orphans)")
        let unitFiles = Set(files.filter { $0.name.serialText == plan.name.serialText && $0.name.sender == plan.name.sender }
            .map(\.fileName))
        #expect(orphans.allSatisfy { unitFiles.contains($0.file) && $0.messageEN.contains(dropped) })
        #expect(Set(orphans.map(\.file)).count == 2)
    }
}
