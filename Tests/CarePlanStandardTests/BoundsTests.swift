import CarePlanStandard
import Testing

/// Inputs built to make one check do too much work or keep too much: each stays bounded and still reports.
@Suite struct BoundsTests {
    /// UPSIKYU whose first user has `groups` detail rows, each of its own office (so its own office/kind group).
    static func table7WithOneUser(groups: Int) throws -> [UInt8] {
        try Support.edited(Support.upsikyu) { records in
            let detail = records[3]      // 155011 at office 1310000003
            var grand = records[4]       // 999999
            var rows: [[String]] = []
            rows.reserveCapacity(groups + 3)
            for index in 0..<groups {
                var row = detail
                row[6] = String(1_310_000_003 + index)
                row[12] = "0"; row[15] = "0"; row[16] = "0"
                rows.append(row)
            }
            grand[16] = "0"
            rows.append(grand)
            records = rows + records[5...]
        }
    }

    @Test func oneUserWithManyDistinctGroupsIsJudgedAndBounded() throws {
        let groups = 20_000
        let findings = Support.check(Support.upsikyu, try Self.table7WithOneUser(groups: groups))
        let t72 = Support.with("T7-2", in: findings)
        #expect(t72.count == 1, "\(findings.prefix(5))")
        #expect(t72.first?.level == .warning)
        #expect(t72.first?.line == 1001)
        #expect(t72.first?.messageEN.contains("remaining \(groups - 1000) rows") == true)
        #expect(Support.with("T7-1", in: findings).isEmpty)
        #expect(Support.with("T7-4", in: findings).isEmpty)
        #expect(!findings.contains { $0.level == .error }, "\(findings.prefix(5))")
    }

    @Test func groupsBelowTheBoundAreReportedInFileOrder() throws {
        // Two rows each for offices 1310000003 and 1310000002, interleaved, no subtotals: two T7-2 errors, first seen first.
        let bytes = try Support.edited(Support.upsikyu) { records in
            let a = records[3]
            var b = records[3]
            b[6] = "1310000009"
            records = [b, a, b, a] + [records[4]] + records[5...]
        }
        let t72 = Support.with("T7-2", in: Support.check(Support.upsikyu, bytes))
        #expect(t72.map(\.line) == [1, 2])
        #expect(t72.allSatisfy { $0.level == .error })
        #expect(t72.first?.messageEN.contains("1310000009") == true)
    }

    @Test func orphanKeysAreCappedPerFileLikeOtherFindings() throws {
        // 30 users in 第7表 that UPPLAN does not have: 30 KEY-1 findings, of which the checker lists 10.
        let annex = try Support.edited(Support.upsikyu) { records in
            let user2 = Array(records[5...6])
            records.removeSubrange(5...6)
            for index in 0..<30 {
                records += user2.map { row in var row = row; row[2] = "0000000" + String(100 + index); return row }
            }
        }
        let checker = StandardChecker(findingLimitPerFile: 10)
        let report = checker.check([(Support.upplan, try Support.bytes(of: Support.upplan)), (Support.upsikyu, annex),
                                    (Support.uphosoku, try Support.bytes(of: Support.uphosoku))]
                                   .map { CheckInput(name: $0.0, source: .bytes($0.1)) })
        let orphans = report.unitFindings.filter { $0.code.rawValue == "KEY-1" && $0.file == Support.upsikyu }
        #expect(orphans.count == 10)
        #expect(orphans.first?.line == 6 && orphans.first?.messageEN.contains("0000000100") == true)
        let limit = report.unitFindings.filter { $0.code == .tooManyFindings && $0.file == Support.upsikyu }
        #expect(limit.count == 1)
        #expect(limit.first?.messageEN.contains("20 more") == true)
        // UPPLAN's user 2 (KEY-2) is its own file's finding, under its own cap.
        #expect(report.unitFindings.contains { $0.code.rawValue == "KEY-2" && $0.file == Support.upplan })
    }
}
