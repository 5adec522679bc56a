import CarePlanStandard
import RenkeiModel
import Testing

@Suite struct FileNameTests {
    @Test func parsesV41NamesWithAndWithoutMonth() throws {
        let plan = try FileName.parse("UPPLAN_201912_0300000100_43_0300000005_11_20191025200201.CSV")
        #expect(plan.kind == .usagePlan && plan.month == YearMonth("201912") && plan.form == .v41)
        #expect(plan.sender.rawValue == "0300000100" && plan.senderKind?.rawValue == "43")
        #expect(plan.recipient.rawValue == "0300000005" && plan.recipientKind?.rawValue == "11")
        #expect(plan.serial == FileSerial(rawValue: "20191025200201"))
        let first = try FileName.parse("UP1KYO_0300000100_43_0300000005_11_20191025200201.CSV")
        #expect(first.kind == .plan1 && first.monthSegment == nil)
        let supplement = try FileName.parse("UPHOSOKU_000000_0300000100_43_0300000005_11_20191025200201.CSV")
        #expect(supplement.hasZeroMonth && supplement.month == nil)
        let kindWithLetter = try FileName.parse("UPJSK_202506_1310000002_2A_1310000001_43_20250701100000.CSV")
        #expect(kindWithLetter.senderKind?.rawValue == "2A")
    }

    @Test func longerPrefixesWin() throws {
        #expect(try FileName.parse("UPKIHON_SUB1_0300000100_46_0300000005_A1_20191025200201.CSV").kind == .basicInfoSub1)
        #expect(try FileName.parse("UPYOBO_SUB_0300000100_46_0300000005_A1_20191025200201.CSV").kind == .preventionPlanSub)
        #expect(try FileName.parse("UPYOBO_0300000100_46_0300000005_A1_20191025200201.CSV").kind == .preventionPlan)
        let image = try FileName.parse("UPKIHON_IMAGE_0300000100_46_0300000005_A1_20191025200201_0001.jpg")
        #expect(image.kind == .basicInfoImage && image.branch == "0001")
    }

    @Test func lookAlikeAndNonASCIINamesAreRefused() throws {
        let valid = "UP1KYO_0300000100_43_0300000005_11_20191025200201.CSV"
        #expect(try FileName.parse(valid).kind == .plan1)
        let lookAlikes = [
            "UP1\u{212A}YO_0300000100_43_0300000005_11_20191025200201.CSV",   // KELVIN SIGN, canonically "K"
            "UPPL\u{212B}N_201912_0300000100_43_0300000005_11_20191025200201.CSV", // ANGSTROM SIGN (not "A"; still non-ASCII)
            "ＵＰＰＬＡＮ_201912_0300000100_43_0300000005_11_20191025200201.CSV",  // full-width
            "UPPLAN_201912_0300000100_43_0300000005_11_20191025200201.C\u{0053}\u{0307}V",
            "UP1KYO_0300000100_43_0300000005_11_20191025200201.CSV\n",
        ]
        for name in lookAlikes {
            #expect(throws: FileNameError.self, "\(name.unicodeScalars.map { String($0.value, radix: 16) })") { try FileName.parse(name) }
            let findings = SendUnit.validate(fileNames: [name])
            #expect(findings.map(\.code) == [.fileName])
        }
        #expect(SendUnit.validate(fileNames: ["UP1\u{212A}YO_0300000100_43_0300000005_11_20191025200201.CSV"]).first?.messageEN.contains("ASCII") == true)
    }

    @Test func parsesTheV3FormAndWarns() throws {
        let name = try FileName.parse("UPPLAN_201912_0300000100_0300000005_20191025200201.CSV")
        #expect(name.form == .v3 && name.senderKind == nil && name.recipient.rawValue == "0300000005")
        #expect(name.findings(fileLabel: "x").map(\.code) == [.fileNameV3])
        #expect(name.rendered == "UPPLAN_201912_0300000100_0300000005_20191025200201.CSV")
    }

    @Test func rendersWhatItParses() throws {
        for example in Support.allExamples { #expect(try FileName.parse(example).rendered == example) }
        let built = FileName(kind: .usageAnnex, month: YearMonth("202506"), sender: OfficeNumber(rawValue: "1310000001")!,
                             senderKind: .careManagement, recipient: OfficeNumber(rawValue: "1310000002")!,
                             recipientKind: ServiceKindCode(rawValue: "11")!, serial: FileSerial(rawValue: "20250525103000")!)
        #expect(built.rendered == Support.upsikyu)
    }

    @Test(arguments: [
        ("UPPLAN_0300000100_43_0300000005_11_20191025200201.CSV", "month"),          // month missing
        ("UPPLAN_202513_0300000100_43_0300000005_11_20191025200201.CSV", "202513"),  // month 13
        ("UPPLAN_000000_0300000100_43_0300000005_11_20191025200201.CSV", "000000"),  // 000000 only for UPHOSOKU
        ("UP1KYO_123456789_43_0300000005_11_20191025200201.CSV", "123456789"),       // 9-digit sender (spec typo)
        ("UP1KYO_0300000100_43_0300000005_11_201910252002011.CSV", "201910252002011"), // 15-digit serial (spec typo)
        ("UP1KYO_0300000100_4_0300000005_11_20191025200201.CSV", "'4'"),
        ("UP1KYO_0300000100_43_0300000005_11_20191025200201.csv", ".csv"),
        ("UP1KYO_0300000100_43_0300000005_11_20191025200201.txt", ".txt"),
        ("UPFOO_0300000100_43_0300000005_11_20191025200201.CSV", "kind"),
        ("UP1KYO_0300000100_43_0300000005_11_2019102520020.CSV", "2019102520020"),
        ("UP1KYO_0300000100_43_0300000005_11_20191025200201", "extension"),
        ("UP1KYO_0300000100_43_0300000005_20191025200201.CSV", "segments"),
    ])
    func refusesOtherNamesWithTheReason(name: String, mentioned: String) {
        #expect {
            _ = try FileName.parse(name)
        } throws: { error in
            guard let error = error as? FileNameError else { return false }
            return error.code == .fileName && error.reason.contains(mentioned) && !error.reasonJA.isEmpty
        }
    }

    @Test func serialThatIsNotADateTimeAndSameOfficeAreFindings() throws {
        let name = try FileName.parse("UP1KYO_0300000100_43_0300000100_11_20190230250000.CSV")
        let codes = name.findings(fileLabel: "x").map(\.code)
        #expect(codes.contains(.fileSerial) && codes.contains(.sameOffice))
        #expect(name.findings(fileLabel: "x").first { $0.code == .fileSerial }?.level == .error)
    }
}
