import CarePlanStandard
import Foundation
import Testing

/// `renkei ui` as a browser reaches it (over HTTP with curl): the session token, 受信一覧 with a unit arriving
/// live, 受信データ詳細確認 with the standard's column names and the signature check, a file's download
/// (byte-identical, acknowledged), 「すべて保存」, and 送信済データ詳細確認 showing the download time.
@Suite(.timeLimit(.minutes(10))) struct WebScreensTests {
    /// A `renkei ui` child process; `base` is the address it printed, without the page.
    final class Screens {
        let process = Process()
        let base: String

        init(profile: String, inbox: URL, folder: URL) throws {
            process.executableURL = Programs.binaries.appendingPathComponent("renkei")
            process.arguments = ["ui", "--port", "0", "--profile", profile, "--inbox", inbox.path]
            process.currentDirectoryURL = folder
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            var line: [UInt8] = []
            while let byte = output.fileHandleForReading.readData(ofLength: 1).first, byte != 0x0A { line.append(byte) }
            let text = String(decoding: line, as: UTF8.self)
            guard let start = text.range(of: "http://"), let end = text.range(of: "/inbox", range: start.upperBound..<text.endIndex) else {
                process.terminate()
                throw ServerProcess.ServerDidNotStart(output: text)
            }
            base = String(text[start.lowerBound..<end.lowerBound])
        }

        deinit {
            process.terminate()
            process.waitUntilExit()
        }
    }

    /// `curl` for one request: the body and the status.
    static func fetch(_ url: String, method: String = "GET", to file: URL? = nil) async throws -> (status: Int, body: String) {
        var arguments = ["-s", "-X", method, "-w", "\n%{http_code}", url]
        if let file { arguments = ["-s", "-X", method, "-o", file.path, "-w", "\n%{http_code}", url] }
        let run = try await Programs.run("/usr/bin/curl", arguments, in: FileManager.default.temporaryDirectory)
        let status = Int(run.output.split(separator: "\n").last ?? "") ?? 0
        return (status, String(run.output.dropLast(String(status).count)))
    }

    @Test func theOfficeScreensOverHTTP() async throws {
        let platform = try await SyncPlatform("screens")
        defer { withExtendedLifetime(platform) {} }
        let (folder, server) = (platform.folder, platform.server)
        let saved = folder.appendingPathComponent("saved")
        let screens = try Screens(profile: server.profile("houmon"), inbox: saved, folder: folder)

        // Without the session token: a page that says so, in Japanese, and nothing else.
        let host = String(screens.base[..<(screens.base.lastIndex(of: "/") ?? screens.base.endIndex)])
        let refused = try await Self.fetch(host + "/inbox")
        #expect(refused.status == 403 && refused.body.contains("セッショントークン"), "\(refused)")

        // A unit sent while 受信一覧 is open arrives on the event stream the page listens to.
        let events = Process()
        events.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        events.arguments = ["-sN", "--max-time", "20", screens.base + "/events"]
        let stream = Pipe()
        events.standardOutput = stream
        try events.run()
        defer { events.terminate() }
        // The stream's first comment says it is open (so the send below comes after the subscription's start).
        var opened = Data()
        while !String(decoding: opened, as: UTF8.self).contains(": renkei") {
            let chunk = stream.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            opened += chunk
        }
        let plan = try SyncTests.unit(["UPPLAN_", "UPSIKYU_", "UPHOSOKU_202506"], serial: "20250525103000", from: "20250525103000")
        for (name, bytes) in plan { try bytes.write(to: folder.appendingPathComponent(name)) }
        let sent = try await Programs.run("renkei", ["send", "--json", "--profile", server.profile("kyotaku")] + plan.map { folder.appendingPathComponent($0.0).path },
                                    in: folder)
        let unit = try #require(EndToEndTests.unitID(in: sent.output), "\(sent)")
        var live = String(decoding: opened, as: UTF8.self)
        while !live.contains("event: received") {
            let chunk = stream.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            live += String(decoding: chunk, as: UTF8.self)
        }
        #expect(live.contains("event: received") && live.contains("\"id\":\(unit)") && live.contains("1310000001"), "\(live)")

        // 受信一覧: the unit, unread, with its sender and type; the status filter keeps or drops it.
        let inbox = try await Self.fetch(screens.base + "/inbox")
        #expect(inbox.status == 200 && inbox.body.contains("/inbox/\(unit)") && inbox.body.contains("未読") && inbox.body.contains("予定"), "\(inbox)")
        await #expect(try Self.fetch(screens.base + "/inbox?status=downloaded").body.contains("/inbox/\(unit)") == false)

        // 受信データ詳細確認: files with hashes, the signature verified here, each CSV under the standard's column names.
        let detail = try await Self.fetch(screens.base + "/inbox/\(unit)")
        #expect(detail.status == 200 && detail.body.contains("class=\"verified\""), "\(detail.body.prefix(3000))")
        for text in ["サービス利用票", "CSVバージョン", "被保険者番号", "見本　一郎"] { #expect(detail.body.contains(text), "\(text)") }
        // Viewing does not acknowledge.
        await #expect(try Self.fetch(screens.base + "/inbox?status=unread").body.contains("/inbox/\(unit)"))

        // One file: the bytes as sent, and the download is recorded.
        let (name, bytes) = try #require(plan.first { $0.0.hasPrefix("UPPLAN_") })
        let downloaded = folder.appendingPathComponent("browser-download.csv")
        await #expect(try Self.fetch(screens.base + "/inbox/\(unit)/files/\(name)", to: downloaded).status == 200)
        #expect(try Data(contentsOf: downloaded) == bytes)
        // 「すべて保存」: every file into the office's folder, verified, whole.
        let all = try await Self.fetch(screens.base + "/inbox/\(unit)/download", method: "POST")
        #expect(all.status == 200 && all.body.contains("3 件のファイルを"), "\(all.body.prefix(2000))")
        for (name, bytes) in plan { #expect(try Data(contentsOf: saved.appendingPathComponent(name)) == bytes, "\(name)") }

        // 送信済データ詳細確認 (the sender's screens): ダウンロード済, with the time.
        let senderScreens = try Screens(profile: server.profile("kyotaku"), inbox: folder.appendingPathComponent("k"), folder: folder)
        let sentList = try await Self.fetch(senderScreens.base + "/sent")
        #expect(sentList.body.contains("ダウンロード済") && sentList.body.contains("/sent/\(unit)"), "\(sentList)")
        let sentDetail = try await Self.fetch(senderScreens.base + "/sent/\(unit)")
        #expect(sentDetail.body.contains("まだダウンロードされていません") == false && sentDetail.body.contains("ダウンロード日時"), "\(sentDetail.body.prefix(2000))")

        // A unit that is not this office's: the platform's refusal, in Japanese, on a page.
        let missing = try await Self.fetch(screens.base + "/inbox/999999")
        #expect(missing.status == 422 && missing.body.contains("role=\"alert\""), "\(missing)")
        await #expect(try Self.fetch(screens.base + "/static/style.css").status == 200)
    }

    /// 新規作成: files taken in, a UTF-8 file fixed by its repair hint, the recipient confirmed in the
    /// directory, sent, received byte-identical; a file that is not a standard file, and a unit for an office
    /// that is not registered, are refused on the page with nothing sent.
    @Test func newSendUnitFromTheBrowser() async throws {
        let platform = try await SyncPlatform("screens-new")
        defer { withExtendedLifetime(platform) {} }
        let (folder, server) = (platform.folder, platform.server)
        let screens = try Screens(profile: server.profile("kyotaku"), inbox: folder.appendingPathComponent("k"), folder: folder)
        let plan = try SyncTests.unit(["UPPLAN_", "UPSIKYU_", "UPHOSOKU_202506"], serial: "20250525103010", from: "20250525103000")
        func put(_ name: String, _ bytes: Data) async throws -> (status: Int, body: String) {
            let file = folder.appendingPathComponent("upload-\(UUID().uuidString.prefix(6))")
            try bytes.write(to: file)
            let run = try await Programs.run("/usr/bin/curl", ["-s", "-T", file.path, "-w", "\n%{http_code}", screens.base + "/new/files/" + name], in: folder)
            let status = Int(run.output.split(separator: "\n").last ?? "") ?? 0
            return (status, run.output)
        }
        // Not a standard file: refused, not taken in.
        let notes = try await put("notes.txt", Data("memo".utf8))
        #expect(notes.status == 422 && notes.body.contains("標準仕様のファイル名ではありません"), "\(notes)")
        // The 第6表 as UTF-8 (a common export setting), the others as they are.
        for (name, bytes) in plan {
            let body = name.hasPrefix("UPPLAN_") ? Data(try MS932.decode(Array(bytes)).utf8) : bytes
            await #expect(try put(name, body).status == 200)
        }
        let page = try await Self.fetch(screens.base + "/new")
        #expect(page.body.contains("UTF-8 で保存されています") && page.body.contains(" disabled>"), "the hint, and no send yet: \(page.body.prefix(4000))")
        let upplan = try #require(plan.first { $0.0.hasPrefix("UPPLAN_") }?.0)
        let fixed = try await Self.fetch(screens.base + "/new/fix/" + upplan, method: "POST")
        #expect(fixed.body.contains("MS932") && !fixed.body.contains(" disabled>"), "\(fixed.body.prefix(4000))")
        // The recipient, confirmed by number in the directory.
        await #expect(try Self.fetch(screens.base + "/new?q=1310000002").body.contains("houmon"))
        let sent = try await Self.fetch(screens.base + "/new/send", method: "POST")
        #expect(sent.status == 200 && sent.body.contains("1 件の送信単位を送信しました"), "\(sent.body.prefix(3000))")
        let unit = try #require(sent.body.range(of: "/sent/").map { UInt64(sent.body[$0.upperBound...].prefix { $0.isNumber }) } ?? nil)
        // The recipient receives exactly the standard's bytes (the corrected copy is the original MS932 file).
        let received = folder.appendingPathComponent("received")
        let download = try await Programs.run("renkei", ["download", "\(unit)", "--to", received.path, "--profile", server.profile("houmon")], in: folder)
        #expect(download.status == 0, "\(download)")
        for (name, bytes) in plan { #expect(try Data(contentsOf: received.appendingPathComponent(name)) == bytes, "\(name)") }

        // A unit for an office that is not registered: the platform's refusal on the page, nothing sent.
        let stranger = try SyncTests.unit(["UPPLAN_", "UPSIKYU_", "UPHOSOKU_202506"], serial: "20250525103011", from: "20250525103000")
            .map { ($0.0.replacingOccurrences(of: "_1310000002_", with: "_1310000009_"), $0.1) }
        for (name, bytes) in stranger { _ = try await put(name, bytes) }
        let refused = try await Self.fetch(screens.base + "/new/send", method: "POST")
        #expect(refused.status == 422 && refused.body.contains("何も送信していません"), "\(refused.body.prefix(3000))")
        let list = try await Programs.run("renkei", ["sent", "--json", "--profile", server.profile("kyotaku")], in: folder)
        #expect(list.output.components(separatedBy: "\"unit_id\"").count - 1 == 1, "\(list)")

        // A name broken only in its form (a browser's copy of a download): the hint renames it, explicitly.
        _ = try await Self.fetch(screens.base + "/new/clear", method: "POST")
        let (upplanName, upplanBytes) = try #require(plan.first { $0.0.hasPrefix("UPPLAN_") })
        let copyName = upplanName.lowercased().replacingOccurrences(of: ".csv", with: "%20(1).csv")
        await #expect(try put(copyName, upplanBytes).status == 200)
        await #expect(try Self.fetch(screens.base + "/new").body.contains("ファイル名を"))
        let renamed = try await Self.fetch(screens.base + "/new/fix/" + copyName, method: "POST")
        #expect(renamed.body.contains("<td>\(upplanName)</td>"), "\(renamed.body.prefix(3000))")
    }

    /// Each repair hint on 新規作成 (a BOM, UTF-8, an undefined CSV version) gives a copy that validates: sent and
    /// received, it is the standard's file byte for byte; the files on disk that were uploaded are untouched. A
    /// file over the size limit is refused with a message, and nothing of it is kept.
    @Test func everyRepairHintAndAFileTooLarge() async throws {
        let platform = try await SyncPlatform("screens-repair")
        defer { withExtendedLifetime(platform) {} }
        let (folder, server) = (platform.folder, platform.server)
        let screens = try Screens(profile: server.profile("kyotaku"), inbox: folder.appendingPathComponent("k"), folder: folder)
        let export = folder.appendingPathComponent("export")
        let deviating = try OfficeToolsTests.deviatingExport(in: export).filter { !$0.key.hasPrefix("jisseki/") }
        for path in deviating.keys {
            let name = String(path.split(separator: "/").last ?? "")
            let put = try await Programs.run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-T", export.appendingPathComponent(path).path,
                                                         screens.base + "/new/files/" + name], in: folder)
            #expect(put.output == "200", "\(path): \(put)")
        }
        var page = try await Self.fetch(screens.base + "/new").body
        for hint in ["UTF-8(BOM 付き)", "UTF-8 で保存されています", "202499"] { #expect(page.contains(hint), "\(hint): \(page.prefix(4000))") }
        #expect(page.contains(" disabled>"))
        for path in deviating.keys {
            page = try await Self.fetch(screens.base + "/new/fix/" + String(path.split(separator: "/").last ?? ""), method: "POST").body
        }
        #expect(!page.contains("修正したコピーに置き換える") && !page.contains(" disabled>") && !page.contains("エラー 1"), "\(page.prefix(4000))")
        for (path, bytes) in deviating { #expect(try Data(contentsOf: export.appendingPathComponent(path)) == Data(bytes), "\(path) untouched") }

        let sent = try await Self.fetch(screens.base + "/new/send", method: "POST")
        let unit = try #require(sent.body.range(of: "/sent/").map { UInt64(sent.body[$0.upperBound...].prefix { $0.isNumber }) } ?? nil, "\(sent.body.prefix(3000))")
        let received = folder.appendingPathComponent("received")
        let download = try await Programs.run("renkei", ["download", "\(unit)", "--to", received.path, "--profile", server.profile("houmon")], in: folder)
        #expect(download.status == 0, "\(download)")
        for prefix in ["UPPLAN_", "UPSIKYU_", "UPHOSOKU_202506"] {
            let original = try OfficeToolsTests.example(prefix)
            #expect(try Data(contentsOf: received.appendingPathComponent(original.name)) == Data(original.bytes), "\(prefix): the corrected copy is the standard's file")
        }

        // 65 MiB under a standard name: refused as too large, on the page that follows too; nothing taken in.
        let large = folder.appendingPathComponent("large.csv")
        FileManager.default.createFile(atPath: large.path, contents: nil)
        let handle = try FileHandle(forWritingTo: large)
        try handle.truncate(atOffset: 65 << 20)
        try handle.close()
        let name = try OfficeToolsTests.example("UPPLAN_").name.replacingOccurrences(of: "103000", with: "103059")
        let refused = try await Programs.run("/usr/bin/curl", ["-s", "-w", "\n%{http_code}", "-T", large.path, screens.base + "/new/files/" + name], in: folder)
        #expect(refused.output.hasSuffix("413") && refused.output.contains("大きすぎます"), "\(refused.output.suffix(600))")
        let after = try await Self.fetch(screens.base + "/new").body
        #expect(after.contains("大きすぎます") && after.contains("まだファイルがありません"), "\(after.prefix(3000))")
        await #expect(try Self.fetch(screens.base + "/new").body.contains("大きすぎます") == false, "a refusal is shown once")
    }
}
