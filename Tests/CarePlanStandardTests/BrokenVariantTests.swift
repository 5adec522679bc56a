import CarePlanStandard
import Testing

/// Each broken variant of an example yields its own finding, at the right line and column.
@Suite struct BrokenVariantTests {
    /// The only finding with `code`, after checking `bytes` as `name`.
    func single(_ code: String, _ name: String, _ bytes: [UInt8]) throws -> Finding {
        let findings = Support.with(code, in: Support.check(name, bytes))
        try #require(findings.count == 1, "\(Support.check(name, bytes))")
        return findings[0]
    }

    @Test func wrongColumnCount() throws {
        // The writer refuses a short record, so cut it by hand: drop the last comma of record 4.
        var lines = try Support.bytes(of: Support.upplan).split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
        lines[3].removeLast(2)            // "," and CR
        lines[3].append(0x0D)
        let finding = try single("CSV-4", Support.upplan, Array(lines.joined(separator: [0x0A])))
        #expect(finding.line == 4 && finding.level == .error)
        #expect(finding.messageJA.contains("24") && finding.messageJA.contains("25"))
    }

    @Test func badDate() throws {
        let bytes = try Support.edited(Support.upplan) { $0[5][9] = "20250631" }
        let finding = try single("FLD-1", Support.upplan, bytes)
        #expect(finding.line == 6 && finding.column == 10 && finding.columnName == "サービス利用日")
        #expect(finding.messageEN.contains("20250631"))
    }

    @Test func valueLongerThanItsColumn() throws {
        let bytes = try Support.edited(Support.upplan) { $0[0][7] = "1234567" }
        let finding = try single("FLD-1", Support.upplan, bytes)
        #expect(finding.line == 1 && finding.column == 8 && finding.columnName == "単位数")
        #expect(finding.messageJA.contains("6"))
    }

    @Test func monthThatIsNotTheNamesMonth() throws {
        let bytes = try Support.edited(Support.upplan) { records in
            for index in records.indices { records[index][4] = "202507" }
        }
        let findings = Support.with("MONTH-1", in: Support.check(Support.upplan, bytes))
        #expect(findings.count == 17)
        #expect(findings.allSatisfy { $0.column == 5 && $0.level == .error })
        #expect(findings.first?.messageJA.contains("ファイル名") == true)
    }

    @Test func mixedMonthsInOneFile() throws {
        let bytes = try Support.edited(Support.upsikyu) { $0[2][4] = "202505" }
        let finding = try single("MONTH-1", Support.upsikyu, bytes)
        #expect(finding.line == 3 && finding.column == 5)
        #expect(finding.messageEN.contains("202505") && finding.messageEN.contains("202506"))
        // In its send unit the stray record is reported once, by MONTH-1, not again as a user without a parent.
        let report = Support.check([(Support.upplan, try Support.bytes(of: Support.upplan)), (Support.upsikyu, bytes),
                                    (Support.uphosoku, try Support.bytes(of: Support.uphosoku))])
        #expect(report.findings.map(\.code) == [.month])
    }

    @Test func serviceDateOutsideTheMonth() throws {
        let bytes = try Support.edited(Support.upjsk) { $0[1][9] = "20250705" }
        let finding = try single("T6-1", Support.upjsk, bytes)
        #expect(finding.line == 2 && finding.column == 10)
    }

    @Test func badOfficeNumber() throws {
        let bytes = try Support.edited(Support.upplan) { $0[2][19] = "131000000" }
        let finding = try single("FLD-1", Support.upplan, bytes)
        #expect(finding.line == 3 && finding.column == 20 && finding.columnName == "サービス事業者コード")
    }

    @Test func codeOutsideItsCodeList() throws {
        let bytes = try Support.edited(Support.uphosoku) { $0[1][17] = "26" }
        let finding = try single("FLD-3", Support.uphosoku, bytes)
        #expect(finding.line == 2 && finding.column == 18 && finding.columnName == "要介護状態区分")
    }

    @Test func brokenQuoting() throws {
        let original = try Support.bytes(of: Support.upplan)
        // Drop the closing quote of the last record's office name: the quote runs to the end of the file.
        var unclosed = original
        let last = try #require(unclosed.lastIndex(of: 0x22))
        unclosed.remove(at: last)
        let finding = try single("CSV-1", Support.upplan, unclosed)
        #expect(finding.line == 17 && finding.column == 21 && finding.level == .error)
        #expect(finding.messageEN.contains("never closed"))

        // Text after a closing quote on record 10.
        var stray = original
        let lineStart = stray.split(separator: 0x0A, omittingEmptySubsequences: false)[0..<9].reduce(0) { $0 + $1.count + 1 }
        let closing = try #require(stray[lineStart...].indices.filter { stray[$0] == 0x22 }.dropFirst(3).first)
        stray.insert(0x58, at: closing + 1)
        let strayFinding = try single("CSV-1", Support.upplan, stray)
        #expect(strayFinding.line == 10 && strayFinding.column == 21 && strayFinding.columnName == "サービス事業所名")
    }

    @Test func undecodableBytesAndGaiji() throws {
        var bytes = try Support.edited(Support.upplan) { $0[4][6] = "山田太郎" }
        let name = try #require(bytes.indices.first { bytes[$0] == 0x8E && bytes[$0 + 1] == 0x52 })  // 山
        bytes[name + 1] = 0x7F  // not a second byte
        let finding = try single("ENC-1", Support.upplan, bytes)
        #expect(finding.line == 5 && finding.column == 7 && finding.columnName == "プラン担当者名")
        #expect(finding.messageEN.contains("0x8E7F"))

        bytes[name] = 0xF0
        bytes[name + 1] = 0x40  // 外字 (U+E000)
        let gaiji = try single("ENC-1", Support.upplan, bytes)
        #expect(gaiji.line == 5 && gaiji.column == 7 && gaiji.messageJA.contains("外字"))
    }

    @Test func disallowedCombinationIsRefused() throws {
        let plan = try Support.bytes(of: Support.upplan)
        let first = try Support.bytes(of: Support.up1kyo)
        let sameSerial = "UP1KYO_1310000001_43_1310000002_11_20250525103000.CSV"
        let report = Support.check([(Support.upplan, plan), (sameSerial, first)])
        let refusal = Support.with("UNIT-2", in: report.findings)
        #expect(refusal.count == 1 && refusal.first?.level == .error)
        #expect(refusal.first?.messageJA.contains("添付ファイルの組み合わせ") == true)
        #expect(report.hasErrors)
        // The public API the server and client call gives the same verdict from the names alone.
        let unit = SendUnit(files: [try FileName.parse(Support.upplan), try FileName.parse(sameSerial)])
        #expect(unit.matchingDefinition() == nil)
        #expect(unit.validate().contains { $0.code == .combination && $0.level == .error })
    }

    @Test func anUploadGateChecksNamesAlone() {
        #expect(SendUnit.validate(fileNames: [Support.upplan, Support.upsikyu, Support.uphosoku]).isEmpty)
        let refused = SendUnit.validate(fileNames: [Support.upplan, "UP2KYO_1310000001_43_1310000002_11_20250525103000.CSV",
                                                    "notes.txt"])
        #expect(refused.map(\.code) == [.fileName, .combination])
        #expect(refused.allSatisfy { $0.level == .error })
    }

    @Test func allowedCombinationsPassAndUPHOSOKUMonthDecidesItsUnit() throws {
        let names = [Support.upplan, Support.upsikyu, Support.uphosoku].map { try! FileName.parse($0) }
        #expect(SendUnit(files: names).matchingDefinition()?.id == "KYOTAKU_USAGE")
        let zeroMonth = try FileName.parse("UPHOSOKU_000000_1310000001_43_1310000002_11_20250525103000.CSV")
        let mixed = SendUnit(files: [names[0], zeroMonth])
        #expect(mixed.validate().contains { $0.code == .combination && $0.level == .error })
    }

    @Test func familyImagesWithDistinctBranchesShareAUnit() throws {
        let stem = "0300000100_46_0300000005_A1_20191025200201"
        let unit = ["UPKIHON_\(stem).CSV", "UPKIHON_SUB1_\(stem).CSV", "UPKIHON_SUB2_\(stem).CSV"]
        let twoImages = SendUnit.validate(fileNames: unit + ["UPKIHON_IMAGE_\(stem)_0001.jpg", "UPKIHON_IMAGE_\(stem)_0002.jpg"])
        #expect(twoImages.isEmpty, "\(twoImages)")
        let names = try (unit + ["UPKIHON_IMAGE_\(stem)_0001.jpg", "UPKIHON_IMAGE_\(stem)_0002.jpg"]).map { try FileName.parse($0) }
        #expect(SendUnit(files: names).matchingDefinition()?.id == "YOBO_KIHON")
        // The same 枝番 twice is still a duplicate; so are two files of a kind without 枝番.
        let sameBranch = SendUnit(files: try (unit + ["UPKIHON_IMAGE_\(stem)_0001.jpg", "UPKIHON_IMAGE_\(stem)_0001.JPG"]).map { try FileName.parse($0) })
        #expect(sameBranch.validate().filter { $0.code == .unit && $0.level == .error }.count == 1)
        let twoKihon = SendUnit(files: try (unit + ["UPKIHON_\(stem).CSV"]).map { try FileName.parse($0) })
        #expect(twoKihon.validate().contains { $0.code == .unit && $0.level == .error && $0.messageEN.contains("UPKIHON") })
    }

    @Test func childWithoutItsParent() throws {
        let annex = try Support.edited(Support.upsikyu) { records in
            for index in 5...6 { records[index][2] = "0000000009" }  // user 2's rows now name a user not in UPPLAN
        }
        let report = Support.check([(Support.upplan, try Support.bytes(of: Support.upplan)), (Support.upsikyu, annex),
                                    (Support.uphosoku, try Support.bytes(of: Support.uphosoku))])
        let orphan = Support.with("KEY-1", in: report.findings)
        #expect(orphan.count == 1)
        #expect(orphan.first?.file == Support.upsikyu && orphan.first?.line == 6)
        #expect(orphan.first?.messageEN.contains("0000000009") == true)
        // …and UPPLAN's user 2 now has no 第7表 rows.
        #expect(Support.with("KEY-2", in: report.findings).contains { $0.file == Support.upplan && $0.line == 14 })
    }

    @Test func table7GrandTotalAndSubtotalRows() throws {
        let noGrand = try Support.edited(Support.upsikyu) { $0.remove(at: 6) }
        let missing = try single("T7-1", Support.upsikyu, noGrand)
        #expect(missing.line == 6 && missing.messageEN.contains("0000000002"))

        let noSubtotal = try Support.edited(Support.upsikyu) { $0.remove(at: 2) }
        let subtotal = try single("T7-2", Support.upsikyu, noSubtotal)
        #expect(subtotal.line == 1 && subtotal.messageJA.contains("11AAAA"))

        let badTotal = try Support.edited(Support.upsikyu) { $0[4][16] = "4901" }
        let sum = try single("T7-4", Support.upsikyu, badTotal)
        #expect(sum.line == 5 && sum.column == 17 && sum.level == .warning)

        // User 1's grand total moved after user 2's rows: user 1's rows are no longer together.
        let split = try Support.edited(Support.upsikyu) { $0.append($0.remove(at: 4)) }
        let splitFindings = Support.with("T7-1", in: Support.check(Support.upsikyu, split))
        #expect(splitFindings.map(\.level) == [.error, .warning] && splitFindings.map(\.line) == [1, 7])

        let unitsOnTotal = try Support.edited(Support.upsikyu) { $0[4][12] = "5" }
        #expect(try single("T7-3", Support.upsikyu, unitsOnTotal).column == 13)
    }

    @Test func supplementMonthRule() throws {
        let bytes = try Support.edited(Support.uphosoku) { $0[0][3] = "20250401" }
        let finding = try single("MONTH-2", Support.uphosoku, bytes)
        #expect(finding.line == 1 && finding.column == 4)
    }

    @Test func mixedCSVVersions() throws {
        let bytes = try Support.edited(Support.upjsk) { $0[7][0] = "202208" }
        let finding = try single("VER-1", Support.upjsk, bytes)
        #expect(finding.line == 8 && finding.column == 1)
    }

    @Test func everyProblemIsReportedNotOnlyTheFirst() throws {
        let bytes = try Support.edited(Support.upplan) { records in
            records[0][9] = "20250699"      // FLD-1
            records[3][14] = "1111"         // FLD-1
            records[8][1] = "13999"         // FLD-1
            records[12][22] = "2"           // FLD-3
        }
        let findings = Support.check(Support.upplan, bytes)
        #expect(findings.map(\.line) == [1, 4, 9, 13])
        #expect(findings.map(\.column) == [10, 15, 2, 23])
        #expect(findings.allSatisfy { $0.level == .error && !$0.messageJA.isEmpty && !$0.messageEN.isEmpty })
    }

    @Test func lfLineEndingsAreAWarningOnce() throws {
        let crlf = try Support.bytes(of: Support.upplan)
        let lf = crlf.filter { $0 != 0x0D }
        let findings = Support.check(Support.upplan, lf)
        #expect(findings.map(\.code) == [.lineEnding])
        #expect(findings.first?.level == .warning)
    }
}
