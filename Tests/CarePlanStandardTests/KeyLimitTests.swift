import CarePlanStandard
import Foundation
import Testing

/// Generated hostile files with more distinct users (record keys) than a check keeps: the keys kept stay at the
/// limit, one LIMIT-5 warning says which lines were not cross-checked, and the key checks (KEY-1, KEY-2) never
/// report a user as missing because the other file forgot it.
@Suite struct KeyLimitTests {
    /// A 10-digit 被保険者番号 for user `index`.
    static func insured(_ index: Int) -> String {
        let digits = String(index)
        return String(repeating: "0", count: 10 - digits.count) + digits
    }

    /// The example UPPLAN with one record for each of `users` (in that order).
    static func plan(users: some Sequence<Int>) throws -> [UInt8] {
        try Support.edited(Support.upplan) { records in
            let template = records[0]
            records = users.map { user in var row = template; row[2] = insured(user); return row }
        }
    }

    /// The example UPSIKYU with a detail row and a 全合計 row for each of `users`.
    static func annex(users: some Sequence<Int>) throws -> [UInt8] {
        try Support.edited(Support.upsikyu) { records in
            let template = Array(records[5...6])
            records = users.flatMap { user in template.map { row in var row = row; row[2] = insured(user); return row } }
        }
    }

    /// The example UPHOSOKU (of the 第6表 unit) with one record for each of `users`.
    static func supplement(users: some Sequence<Int>) throws -> [UInt8] {
        try Support.edited(Support.uphosoku) { records in
            let template = records[0]
            records = users.map { user in var row = template; row[2] = insured(user); return row }
        }
    }

    static func check(_ checker: StandardChecker, _ files: [(String, [UInt8])]) -> CheckReport {
        checker.check(files.map { CheckInput(name: $0.0, source: .bytes($0.1)) })
    }

    @Test func aPlanOfTensOfThousandsOfDistinctUsersKeepsTheDefaultLimitAndSaysWhereItStopped() throws {
        let users = 25_000
        let limit = StandardChecker.defaultMaxKeysPerFile
        let result = StandardChecker().checkFile(CheckInput(name: Support.upplan, source: .bytes(try Self.plan(users: 1...users))))
        #expect(result.facts.recordCount == users)
        #expect(result.facts.keyCount == limit)
        #expect(result.facts.ownKeys.count == limit)
        #expect(!result.facts.keysAreComplete && result.facts.keyLimitLine == limit + 1)
        let notes = Support.with("LIMIT-5", in: result.findings)
        #expect(notes.count == 1)
        #expect(notes.first?.level == .warning && notes.first?.line == limit + 1)
        #expect(notes.first?.messageEN.contains("more than \(limit) distinct users") == true)
        #expect(notes.first?.messageEN.contains("from line \(limit + 1) on") == true)
        #expect(notes.first?.messageJA.contains("KEY-1、KEY-2") == true)
        #expect(result.errorCount == 0, "\(result.findings.prefix(3))")
    }

    @Test func aFileBelowTheLimitKeepsEveryKeyWithoutANote() throws {
        let result = StandardChecker(maxKeysPerFile: 60).checkFile(CheckInput(name: Support.upplan, source: .bytes(try Self.plan(users: 1...60))))
        #expect(result.facts.keyCount == 60 && result.facts.keysAreComplete)
        #expect(Support.with("LIMIT-5", in: result.findings).isEmpty)
    }

    @Test func filesThatForgotUsersAreNeverReportedAsMissingThem() throws {
        // Plan, 第7表 and 補足 all name users 0…59, the 第7表 and 補足 in reverse: with a limit of 50 the plan keeps
        // users 0…49 and the others 59…10. Without care, users 0…9 would look missing (KEY-2), and so would the
        // parents of users 50…59 (KEY-1).
        let checker = StandardChecker(maxKeysPerFile: 50)
        let report = Self.check(checker, [(Support.upplan, try Self.plan(users: 0..<60)),
                                          (Support.upsikyu, try Self.annex(users: (0..<60).reversed())),
                                          (Support.uphosoku, try Self.supplement(users: (0..<60).reversed()))])
        #expect(Support.with("KEY-1", in: report.findings).isEmpty, "\(Support.with("KEY-1", in: report.findings).prefix(3))")
        #expect(Support.with("KEY-2", in: report.findings).isEmpty, "\(Support.with("KEY-2", in: report.findings).prefix(3))")
        let notes = Support.with("LIMIT-5", in: report.findings)
        #expect(Set(notes.map(\.file)) == [Support.upplan, Support.upsikyu, Support.uphosoku])
        #expect(notes.first { $0.file == Support.upplan }?.line == 51)
        #expect(notes.first { $0.file == Support.upsikyu }?.line == 101)  // two rows per user
        // The 第7表 also stopped remembering users for its "rows together" check, and says so.
        #expect(notes.first { $0.file == Support.upsikyu }?.messageEN.contains("T7-1") == true)
        #expect(notes.first { $0.file == Support.upplan }?.messageEN.contains("T7-1") == false)
    }

    @Test func keysKeptAreStillCrossChecked() throws {
        // Users 40…59 of the 第7表 have no plan; the 第7表 keeps users 40…49 (limit 50, after 0…39), whose
        // missing parents are reported, and says that it did not keep 50…59.
        let checker = StandardChecker(maxKeysPerFile: 50)
        let report = Self.check(checker, [(Support.upplan, try Self.plan(users: 0..<40)),
                                          (Support.upsikyu, try Self.annex(users: 0..<60)),
                                          (Support.uphosoku, try Self.supplement(users: 0..<40))])
        let orphans = Support.with("KEY-1", in: report.findings)
        #expect(orphans.count == 10)
        #expect(orphans.allSatisfy { $0.file == Support.upsikyu })
        #expect(orphans.first?.messageEN.contains(Self.insured(40)) == true)
        #expect(Support.with("LIMIT-5", in: report.findings).map(\.file) == [Support.upsikyu])
    }

    @Test func theWholeCheckKeepsAtMostItsBudgetOfKeys() throws {
        let second = Support.upplan.replacingOccurrences(of: "_20250525103000", with: "_20250525103100")
        let checker = StandardChecker(maxKeysPerFile: 100, maxKeysPerCheck: 120)
        let report = Self.check(checker, [(Support.upplan, try Self.plan(users: 0..<100)), (second, try Self.plan(users: 0..<100))])
        #expect(report.files.map(\.facts.keyCount) == [100, 20])
        let notes = Support.with("LIMIT-5", in: report.findings)
        #expect(notes.map(\.file) == [second])
        #expect(notes.first?.line == 21)
        #expect(notes.first?.messageEN.contains("The check reached its limit of 120") == true)
    }
}
