import CarePlanStandard
import Foundation
@testable import RenkeiUI
import Testing

/// 帳票: the standard's example 第6表/第7表 unit laid out as the printed forms — one page per user and form,
/// the user from 利用者補足情報, counts by day under the right weekday, and the 別表's totals as the file gives them.
@Suite struct PrintFormTests {
    static func exampleUnit() throws -> [(name: String, bytes: [UInt8])] {
        try ["UPPLAN_", "UPSIKYU_", "UPHOSOKU_202506"].map { try PageModelTests.example($0) }.map { (name: $0.0, bytes: $0.1) }
    }

    @Test func theExampleUnitPrintsTwoPagesPerUser() throws {
        let (sheets, users) = PrintForms.sheets(try Self.exampleUnit())
        #expect(users == 2 && sheets.count == 4)
        #expect(sheets.map { $0.usage != nil } == [true, false, true, false])
        #expect(sheets.map(\.user.name) == ["見本　太郎", "見本　太郎", "見本　花子", "見本　花子"])

        let first = try #require(sheets[0].usage)
        #expect(sheets[0].user.month == "令和7年6月分" && sheets[0].user.created == "令和7年5月25日")
        #expect(sheets[0].user.birth == "昭和15年4月1日" && sheets[0].user.sex == "男性" && sheets[0].user.careLevel == "要介護２")
        #expect(sheets[0].user.classLimit == "19,705 単位/月" && sheets[0].user.limitPeriod == "令和7年4月1日 〜 令和9年3月31日")
        #expect(first.planner == "見本　一郎" && first.days.count == 30)
        #expect(first.days[1].number == 2 && first.days[1].weekday == "月" && first.days[0].weekday == "日" && first.days[0].holiday && !first.days[2].holiday && first.days[6].holiday)
        // 訪問介護 at 10:00, five Mondays; 通所介護 all day on four Wednesdays; 14:00 on four Thursdays.
        #expect(first.lines.map(\.time) == ["09:30〜16:30", "10:00〜10:30", "14:00〜14:45"])
        let morning = first.lines[1]
        #expect(morning.service == "訪問介護 111111" && morning.provider == "みほん訪問介護ステーション")
        #expect(morning.planned.enumerated().filter { !$0.element.isEmpty }.map { $0.offset + 1 } == [2, 9, 16, 23, 30])
        #expect(morning.plannedTotal == "5" && morning.actual.allSatisfy(\.isEmpty) && first.plannedTotal == "13" && first.actualTotal.isEmpty)
        #expect(first.plannedByDay[1] == "1" && first.plannedByDay[3] == "1" && first.plannedByDay[0].isEmpty && first.plannedByDay.count == 30)

        let annex = try #require(sheets[1].annex)
        #expect(annex.rows.map(\.style) == ["detail", "detail", "subtotal", "detail", "total"])
        #expect(annex.rows[2].service == "訪問介護 小計" && annex.rows[4].officeNumber.isEmpty)
        #expect(annex.totalCost == "49,000" && annex.claim == "44,100" && annex.userCopay == "4,900")
        #expect(annex.rows[0].cells.count == annex.headings.count && annex.rows[4].cells[annex.headings.firstIndex(of: "費用総額(保険対象分)")!] == "49,000")
    }

    @Test func aResultsFileFillsThe実績Rows() throws {
        let (name, bytes) = try PageModelTests.example("UPJSK_")
        let (sheets, _) = PrintForms.sheets([(name, bytes)])
        let usage = try #require(sheets.first?.usage)
        #expect(usage.lines.allSatisfy { $0.planned.allSatisfy(\.isEmpty) } && !usage.actualTotal.isEmpty && usage.plannedTotal == "0")
        #expect(sheets.allSatisfy { $0.annex == nil })
    }

    @Test func filesThatAreNotFormsPrintNothing() throws {
        let (name, bytes) = try PageModelTests.example("UP1KYO_")
        #expect(PrintForms.sheets([(name, bytes)]).sheets.isEmpty)
        #expect(!PrintForms.isPrinted(name) && PrintForms.isPrinted("UPSIKYU_202506_1310000001_43_1310000002_11_20250525103000.CSV"))
    }

    @Test func datesInTheJapaneseEras() {
        #expect(PrintForms.date("20190501") == "令和元年5月1日" && PrintForms.date("20190430") == "平成31年4月30日")
        #expect(PrintForms.date("19890107") == "昭和64年1月7日" && PrintForms.date("19120730") == "大正元年7月30日")
        #expect(PrintForms.date("00000000").isEmpty && PrintForms.month("201905") == "令和元年5月分")
        #expect(PrintForms.number("-1234567") == "-1,234,567" && PrintForms.number("") == "" && PrintForms.number("10.00") == "10.00")
    }
}
