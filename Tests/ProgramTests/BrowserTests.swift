import CarePlanStandard
import Foundation
import Testing

/// The office screens in a real browser (headless Chromium from Debian's chromium and chromium-driver, driven
/// by selenium; `Tools/dev test` installs them), and the print view printed by Chromium to PDF and read back
/// with poppler (pdfinfo, pdftotext, pdftoppm).
@Suite(.serialized, .timeLimit(.minutes(10))) struct BrowserTests {
    /// Screenshots and printed PDFs stay here after the run, for a person to look at.
    static let keep = Programs.packageRoot.appendingPathComponent(".build/screens")

    @Test func aFullSendAndReceiveInHeadlessChromium() async throws {
        let platform = try await SyncPlatform("browser")
        defer { withExtendedLifetime(platform) {} }
        let (folder, server) = (platform.folder, platform.server)
        let sender = try WebScreensTests.Screens(profile: server.profile("kyotaku"), inbox: folder.appendingPathComponent("k"), folder: folder)
        let recipient = try WebScreensTests.Screens(profile: server.profile("houmon"), inbox: folder.appendingPathComponent("h"), folder: folder)
        let files = folder.appendingPathComponent("unit"), broken = folder.appendingPathComponent("broken")
        for made in [files, broken] { try FileManager.default.createDirectory(at: made, withIntermediateDirectories: true) }
        let plan = try SyncTests.unit(["UPPLAN_", "UPSIKYU_", "UPHOSOKU_202506"], serial: "20250525103020", from: "20250525103000")
        for (name, bytes) in plan { try bytes.write(to: files.appendingPathComponent(name)) }
        // The same 第6表 with an impossible サービス利用日 (month 13) on its second record: line 2, column 10.
        let (upplan, bytes) = try #require(plan.first { $0.0.hasPrefix("UPPLAN_") })
        var wrong = bytes
        let date = try #require(wrong.range(of: Data(",20250604,".utf8)), "the example's second record is on 4 June")
        wrong.replaceSubrange(date, with: Data(",20251304,".utf8))
        #expect(wrong.range(of: Data(",20250604,".utf8)) == nil, "and it is the only one")
        try wrong.write(to: broken.appendingPathComponent(upplan))

        let out = Self.keep.appendingPathComponent("flow")
        try? FileManager.default.removeItem(at: out)
        let run = try await Programs.run("/usr/bin/env", [
            "python3", Programs.packageRoot.appendingPathComponent("Tests/ProgramTests/Browser/screens.py").path,
            "--sender", sender.base, "--recipient", recipient.base, "--recipient-number", "1310000002",
            "--files", files.path, "--broken", broken.appendingPathComponent(upplan).path, "--out", out.path,
        ], in: folder)
        try #require(run.status == 0, "the browser run failed (Tools/dev test installs chromium, chromium-driver and selenium): \(run)")

        struct Summary: Decodable {
            struct Page: Decodable { let page: String; let controls: Int }
            struct Shot: Decodable { let path: String; let colours: Int }
            let unit: UInt64, downloaded: String, downloadTime: String, pages: [Page], screenshots: [Shot]
        }
        let summary = try JSONDecoder().decode(Summary.self, from: Data(run.output.utf8))
        #expect(try Data(contentsOf: URL(fileURLWithPath: summary.downloaded)) == bytes, "the browser's download is the file sent")
        #expect(Set(summary.pages.map(\.page)).isSuperset(of: ["受信一覧", "新規作成", "受信データ詳細確認", "帳票", "送信済一覧", "送信済データ詳細確認"]))
        #expect(summary.pages.allSatisfy { $0.controls > 0 })
        #expect(summary.screenshots.count == 8 && summary.screenshots.allSatisfy { FileManager.default.fileExists(atPath: $0.path) })
        // The platform agrees: the recipient's download is on record.
        let listed = try await Programs.run("renkei", ["sent", "--json", "--profile", server.profile("kyotaku")], in: folder)
        #expect(listed.output.contains("\"unit_id\":\"\(summary.unit)\"") && listed.output.contains("UNIT_STATUS_DOWNLOADED"), "\(listed)")
    }

    /// A generated 第6表/第7表 unit on 新規作成, printed by Chromium to PDF: two A4 landscape pages per user,
    /// each with ink on it, and the users' names and the 別表's totals in the text.
    @Test func thePrintViewPrintsOneA4LandscapePagePerUserAndForm() async throws {
        let platform = try await SyncPlatform("print")
        defer { withExtendedLifetime(platform) {} }
        let (folder, server) = (platform.folder, platform.server)
        let screens = try WebScreensTests.Screens(profile: server.profile("kyotaku"), inbox: folder.appendingPathComponent("k"), folder: folder)
        let unit = try #require(CarePlanGenerator(seed: 20_261_130, userCount: 6).sendUnits().first { $0.definitionID == "KYOTAKU_USAGE" })
        for file in unit.files {
            let path = folder.appendingPathComponent(file.fileName)
            try Data(file.bytes).write(to: path)
            let put = try await Programs.run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-T", path.path, screens.base + "/new/files/" + file.fileName], in: folder)
            #expect(put.output == "200", "\(file.fileName): \(put)")
        }
        func records(_ kind: FileKind) -> [[String]] { unit.files.filter { $0.kind == kind }.flatMap(\.records) }
        let users = Set((records(.usagePlan) + records(.usageAnnex)).map { $0[1] + "/" + $0[2] })
        let names = records(.supplement).map { $0[5] }
        let totals = records(.usageAnnex).filter { $0[8] == "999999" }.map { Self.grouped($0[23]) }
        #expect(users.count >= 2 && names.count == users.count && totals.count == users.count)

        try FileManager.default.createDirectory(at: Self.keep, withIntermediateDirectories: true)
        let pdf = Self.keep.appendingPathComponent("print.pdf")
        try? FileManager.default.removeItem(at: pdf)
        let print = try await Programs.run(ProcessInfo.processInfo.environment["RENKEI_CHROMIUM"] ?? "/usr/bin/chromium", [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-pdf-header-footer",
            "--print-to-pdf=\(pdf.path)", screens.base + "/new/print",
        ], in: folder)
        try #require(FileManager.default.fileExists(atPath: pdf.path), "chromium --print-to-pdf wrote nothing: \(print)")

        let info = try await Programs.run("/usr/bin/pdfinfo", [pdf.path], in: folder).output
        #expect(info.contains("Pages:") && Self.value("Pages:", in: info) == String(users.count * 2), "\(info)")
        let size = (Self.value("Page size:", in: info) ?? "").split(separator: " ").compactMap { Double($0) }
        #expect(info.contains("(A4)") && size.count == 2 && size[0] > size[1], "A4 landscape: \(info)")
        let text = try await Programs.run("/usr/bin/pdftotext", ["-layout", pdf.path, "-"], in: folder).output
        for name in names { for part in name.split(separator: "　") { #expect(text.contains(part), "\(name) is not in the printed text") } }
        for total in totals { #expect(text.contains(total), "the total \(total) is not in the printed text") }
        #expect(text.contains("サービス利用票別表") && text.contains("令和7年6月分"))

        // Every page rendered by pdftoppm has ink on it (a page that broke in the wrong place would be nearly empty).
        let prefix = folder.appendingPathComponent("page")
        let rendered = try await Programs.run("/usr/bin/pdftoppm", ["-gray", "-r", "30", pdf.path, prefix.path], in: folder)
        let pages = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix("page") && $0.hasSuffix(".pgm") }.sorted()
        #expect(pages.count == users.count * 2, "\(rendered)")
        for page in pages {
            let (width, height, pixels) = try Self.graymap(folder.appendingPathComponent(page))
            #expect(width > height, "\(page) is landscape")
            let ink = pixels.filter { $0 < 128 }.count
            #expect(ink > pixels.count / 100, "\(page) has \(ink) dark pixels of \(pixels.count)")
        }
    }

    /// `pdfinfo`'s value on the line starting with `label`.
    static func value(_ label: String, in text: String) -> String? {
        text.split(separator: "\n").first { $0.hasPrefix(label) }.map { $0.dropFirst(label.count).trimmingCharacters(in: .whitespaces) }
    }

    /// `4900` → `4,900`.
    static func grouped(_ text: String) -> String {
        let formatter = NumberFormatter()
        formatter.numberStyle = .decimal
        formatter.groupingSeparator = ","
        formatter.usesGroupingSeparator = true
        return Int(text).flatMap { formatter.string(from: NSNumber(value: $0)) } ?? text
    }

    /// A binary PGM (P5, 8-bit) as pdftoppm -gray writes it.
    static func graymap(_ url: URL) throws -> (width: Int, height: Int, pixels: [UInt8]) {
        let data = [UInt8](try Data(contentsOf: url))
        var fields: [Int] = [], index = 2, current = ""
        while fields.count < 3, index < data.count {
            let byte = data[index]
            if (0x30...0x39).contains(byte) { current.append(Character(UnicodeScalar(byte))) } else if !current.isEmpty {
                fields.append(Int(current) ?? 0)
                current = ""
            }
            index += 1
        }
        guard data.starts(with: Array("P5".utf8)), fields.count == 3 else { throw CocoaError(.fileReadCorruptFile) }
        return (fields[0], fields[1], Array(data[index...]))
    }
}
