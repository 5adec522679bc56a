import CarePlanStandard
import Testing

/// Levels follow layouts.json's suggested policy, and the office numbers in rows agree with the name.
@Suite struct RuleLevelTests {
    func findings(_ code: String, _ name: String, _ bytes: [UInt8]) -> [Finding] {
        Support.with(code, in: Support.check(name, bytes))
    }

    @Test func requiredOnAMediumConfidenceLayoutIsAWarningButOnAHighOneAnError() throws {
        // UP1KYO is medium confidence: its ○ on No.8 居宅サービス計画作成者氏名 is uncertain (FLD-2 warning).
        let first = try Support.edited(Support.up1kyo) { $0[0][7] = "" }
        let warning = try #require(findings("FLD-2", Support.up1kyo, first).first)
        #expect(warning.level == .warning && warning.column == 8 && warning.line == 1)
        // …but its key column No.14 居宅サービス計画作成（変更）日 stays an error.
        let key = try Support.edited(Support.up1kyo) { $0[0][13] = "" }
        #expect(findings("FLD-1", Support.up1kyo, key).map(\.column) == [14])
        // UPPLAN is high confidence: an empty サービス回数 is an error.
        let plan = try Support.edited(Support.upplan) { $0[2][13] = "" }
        let error = try #require(findings("FLD-1", Support.upplan, plan).first)
        #expect(error.level == .error && error.column == 14 && error.line == 3)
    }

    @Test func everyColumnOfADeletionFileIsRequired() throws {
        let name = "DLTJSK_202506_1310000002_11_1310000001_43_20250801100000.CSV"
        let bytes = try CarePlanWriter.bytes(of: [["202407", "139999", "0000000001", "202506", "1310000002", "11"],
                                                 ["202407", "139999", "0000000002", "202506", "1310000002", ""]],
                                             kind: .actualDelete)
        #expect(Support.check(name, bytes).map(\.code) == [.deletion])
        #expect(Support.check(name, bytes).first?.line == 2 && Support.check(name, bytes).first?.column == 6)
    }

    @Test func unquotedFreeTextAndEarlierEditionsAreWarningsButAnUndefinedVersionIsAnError() throws {
        let bytes = try Support.bytes(of: Support.upjsk)
        // Remove the quotes around every 氏名/事業所名 (they hold no comma): CSV-2, once for each column.
        let unquoted = bytes.filter { $0 != 0x22 }
        let warnings = findings("CSV-2", Support.upjsk, unquoted)
        #expect(warnings.map(\.column) == [7, 21] && warnings.allSatisfy { $0.level == .warning })
        let implementationValue = try Support.edited(Support.upjsk) { records in
            for index in records.indices { records[index][0] = "202410" }  // one implementation's non-conforming value
        }
        // A value no edition defines: the receiver cannot know the layout, so it is an error that names the value the
        // file's service month needs.
        let version = try #require(findings("VER-2", Support.upjsk, implementationValue).first)
        #expect(version.level == .error && version.messageJA.contains("202407") && version.messageEN.contains("202407"))
        #expect(findings("VER-2", Support.upjsk, implementationValue).count == 1)
        // An earlier edition's value (3.x) is a defined layout: a warning.
        let earlier = try Support.edited(Support.upjsk) { records in
            for index in records.indices { records[index][0] = "202208" }
        }
        let old = try #require(findings("VER-2", Support.upjsk, earlier).first)
        #expect(old.level == .warning && old.messageJA.contains("202407"))
    }

    @Test func officeNumbersInRowsAgreeWithTheName() throws {
        // 実績 from office 1310000002 listing another provider, and an updater that is not the sender.
        let bytes = try Support.edited(Support.upjsk) { records in
            records[3][19] = "1310000003"
            records[4][23] = "1310000001"
        }
        let actual = findings("T6-6", Support.upjsk, bytes)
        #expect(actual.map(\.line) == [4] && actual.first?.column == 20 && actual.first?.level == .warning)
        #expect(findings("T6-4", Support.upjsk, bytes).map(\.line) == [5])
    }

    @Test func welfareEquipmentNeedsATAISCode() throws {
        let bytes = try Support.edited(Support.upplan) { $0[6][14] = "171001" }
        let finding = try #require(findings("T6-2", Support.upplan, bytes).first)
        #expect(finding.line == 7 && finding.column == 16 && finding.level == .error)
        let withCode = try Support.edited(Support.upplan) { $0[6][14] = "171001"; $0[6][15] = "00001-000010" }
        #expect(findings("T6-2", Support.upplan, withCode).isEmpty)
    }

    @Test func aBadNameIsAnErrorButTheContentIsStillChecked() throws {
        let name = "UPPLAN_202506_131000001_43_1310000002_11_20250525103000.CSV"  // 9-digit sender
        let bytes = try Support.edited(Support.upplan) { $0[1][9] = "20250631" }
        let all = Support.check(name, bytes)
        #expect(all.map(\.code) == [.fileName, .field])
        #expect(all.first?.messageEN.contains("131000001") == true && all.first?.line == nil)
    }

    @Test func tooManyFindingsAreCountedNotListed() throws {
        let bytes = try Support.edited(Support.upplan) { records in
            for index in records.indices { records[index][1] = "X"; records[index][2] = "Y"; records[index][9] = "Z" }
        }
        let result = StandardChecker(findingLimitPerFile: 10).checkFile(CheckInput(name: Support.upplan, source: .bytes(bytes)))
        #expect(result.findings.count == 11 && result.findings.last?.code == .tooManyFindings)
        #expect(result.errorCount == 51)
    }
}
