import CarePlanStandard
import Foundation
import RenkeiAPI
@testable import RenkeiUI
import Testing

/// What the screens show, without a server: CSV files as tables under the standard's column names, and
/// 受信一覧 rows as the page's script receives them.
@Suite struct PageModelTests {
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("CarePlanStandardTests/Fixtures")

    static func example(_ prefix: String) throws -> (String, [UInt8]) {
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: examples.path).first { $0.hasPrefix(prefix) })
        return (name, Array(try Data(contentsOf: examples.appendingPathComponent(name))))
    }

    @Test func aCSVFileIsATableUnderTheStandardsColumnNames() throws {
        let (name, bytes) = try Self.example("UPPLAN_")
        let section = CSVTable.section(name: name, bytes: bytes)
        let layout = try #require(StandardDefinition.v41.layout(of: FileKind(rawValue: "UPPLAN")))
        #expect(section.title == layout.titleJA)
        #expect(Array(section.columns.prefix(3)) == layout.columns.prefix(3).map(\.nameJA))
        #expect(section.error == nil)
        #expect(section.rows.first?.line == 1 && section.rows.first?.cells.first == "202407")
        #expect(section.rows.contains { $0.cells.contains("見本　一郎") }, "MS932 decoded")
    }

    @Test func aFileNotInMS932SaysSoAndStillShows() throws {
        let (name, bytes) = try Self.example("UPPLAN_")
        let utf8 = Array(try MS932.decode(bytes).utf8)
        let section = CSVTable.section(name: name, bytes: utf8)
        #expect(section.error?.contains("--fix-to") == true)
        #expect(section.rows.count == CSVTable.section(name: name, bytes: bytes).rows.count)
    }

    @Test func anUnknownFileKindGetsNumberedColumns() {
        let section = CSVTable.section(name: "notes.CSV", bytes: Array("a,b\r\n".utf8))
        #expect(section.columns == ["列1", "列2"] && section.title == "notes.CSV")
    }

    @Test func aRowForThePageScriptIsJSON() throws {
        var unit = Renkei_V1_UnitSummary()
        unit.unitID = 42
        unit.sender = "1310000001"
        unit.unitType = .plan
        unit.status = .unread
        unit.fileCount = 3
        let row = UnitRow(unit, inbox: true, base: "/token")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(row.json.utf8)) as? [String: Any])
        #expect(object["href"] as? String == "/token/inbox/42" && object["status"] as? String == "未読" && object["type"] as? String == "予定")
    }

    @Test func sessionTokensAreLongAndFresh() {
        let token = OfficeWebApp.makeToken()
        #expect(token.count == 64 && token.allSatisfy(\.isHexDigit) && token != OfficeWebApp.makeToken())
    }
}
