import CarePlanStandard
import Foundation
import Testing

/// `renkei check` on an export folder (recursive, the cause first, `--fix-to`) and `renkei savings`.
@Suite(.timeLimit(.minutes(10))) struct OfficeToolsTests {
    static func example(_ prefix: String) throws -> (name: String, bytes: [UInt8]) {
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: Programs.examples.path).first { $0.hasPrefix(prefix) })
        return (name, Array(try Data(contentsOf: Programs.examples.appendingPathComponent(name))))
    }

    /// An export folder with each common vendor deviation, in sub-folders as care software writes them.
    static func deviatingExport(in folder: URL) throws -> [String: [UInt8]] {
        let plan = try example("UPPLAN_"), table7 = try example("UPSIKYU_"), extra = try example("UPHOSOKU_202506"), actual = try example("UPJSK_")
        let utf8 = { (bytes: [UInt8]) throws -> [UInt8] in Array(try MS932.decode(bytes).utf8) }
        let version = { (bytes: [UInt8]) -> [UInt8] in
            // Column 1 of every record is the CSV version: an undefined value in each.
            var out = bytes
            var recordStart = true
            for index in out.indices {
                if recordStart, out[index...].starts(with: Array("202407".utf8)) { out.replaceSubrange(index..<index + 6, with: Array("202499".utf8)) }
                recordStart = out[index] == 0x0A
            }
            return out
        }
        let files: [String: [UInt8]] = [
            "2025-06/" + plan.name: [0xEF, 0xBB, 0xBF] + (try utf8(plan.bytes)),          // UTF-8 with a BOM
            "2025-06/" + table7.name: try utf8(table7.bytes),                              // UTF-8 without one
            "2025-06/" + extra.name: version(extra.bytes),                                // an undefined CSV version
            "jisseki/" + actual.name.replacingOccurrences(of: ".CSV", with: " (1).csv"): actual.bytes,   // a browser's copy name
        ]
        for (path, bytes) in files {
            let url = folder.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: url)
        }
        return files
    }

    @Test func checkLeadsWithTheCauseAndFixToWritesCopiesThatPass() async throws {
        let folder = try Programs.temporaryFolder("fix")
        defer { try? FileManager.default.removeItem(at: folder) }
        let export = folder.appendingPathComponent("export"), fixed = folder.appendingPathComponent("fixed")
        let originals = try Self.deviatingExport(in: export)

        // The folder is searched recursively; a UTF-8 file is one sentence, not an ENC-1 per line.
        let check = try await Programs.run("renkei", ["check", export.path], in: folder)
        #expect(check.status == 1, "\(check)")
        #expect(check.output.contains("4 ファイル"), "\(check)")
        #expect(check.output.contains("UTF-8(BOM 付き)で保存されています") && check.output.contains("--fix-to"), "\(check)")
        let plan = try Self.example("UPPLAN_").name
        #expect(check.output.split(separator: "\n").filter { $0.hasPrefix(plan) && $0.contains("ENC-1") }.count == 1, "\(check)")

        // Corrected copies, every change named; the copies pass; the originals are untouched.
        let fix = try await Programs.run("renkei", ["check", "--fix-to", fixed.path, export.path], in: folder)
        #expect(fix.status == 0, "\(fix)")
        for expected in ["先頭の BOM", "UTF-8 から MS932", "202499", "ファイル名を"] { #expect(fix.output.contains(expected), "\(expected): \(fix)") }
        let again = try await Programs.run("renkei", ["check", fixed.path], in: folder)
        #expect(again.status == 0 && again.output.contains("送信できます"), "\(again)")
        for name in ["UPPLAN_", "UPSIKYU_", "UPHOSOKU_202506", "UPJSK_"] {
            let original = try Self.example(name)
            #expect(try Data(contentsOf: fixed.appendingPathComponent(original.name)) == Data(original.bytes), "\(name): the copy is the standard's file again")
        }
        for (path, bytes) in originals { #expect(try Data(contentsOf: export.appendingPathComponent(path)) == Data(bytes), "\(path) untouched") }

        // Never in place.
        let inPlace = try await Programs.run("renkei", ["check", "--fix-to", export.appendingPathComponent("jisseki").path, export.path], in: folder)
        #expect(inPlace.status == 2 && inPlace.error.contains("[2018]"), "\(inPlace)")
    }

    @Test func savingsFollowFromThePrintedAssumptions() async throws {
        let folder = try Programs.temporaryFolder("savings")
        defer { try? FileManager.default.removeItem(at: folder) }
        let server = try ServerProcess(data: folder.appendingPathComponent("data"), in: folder)
        defer { server.stop() }
        try await server.enrolDemoOffices(in: folder)
        // A seeded number of units each way.
        var random = SeededGenerator(seed: 7)
        let plans = Int.random(in: 2...5, using: &random), actuals = Int.random(in: 1...4, using: &random)
        for (count, profile, prefixes, original, base) in [(plans, "kyotaku", ["UPPLAN_", "UPSIKYU_", "UPHOSOKU_202506"], "20250525103000", "202505251030"),
                                                           (actuals, "houmon", ["UPJSK_"], "20250701100000", "202507011000")] {
            for index in 0..<count {
                let unit = folder.appendingPathComponent("\(profile)-\(index)")
                try FileManager.default.createDirectory(at: unit, withIntermediateDirectories: true)
                var paths: [String] = []
                for (name, bytes) in try SyncTests.unit(prefixes, serial: base + String(format: "%02d", index), from: original) {
                    try bytes.write(to: unit.appendingPathComponent(name))
                    paths.append(unit.appendingPathComponent(name).path)
                }
                let sent = try await Programs.run("renkei", ["send", "--profile", server.profile(profile)] + paths, in: folder)
                #expect(sent.status == 0, "\(sent)")
            }
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Tokyo")!
        let year = calendar.component(.year, from: Date())
        let run = try await Programs.run("renkei", ["savings", "--year", "\(year)", "--json", "--pages-per-file", "3", "--post-share", "0.5",
                                              "--profile", server.profile("kyotaku")], in: folder)
        #expect(run.status == 0, "\(run)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any])
        let traffic = try #require(json["traffic"] as? [String: Int]), a = try #require(json["assumptions"] as? [String: Double])
        #expect(traffic["unitsSent"] == plans && traffic["filesSent"] == plans * 3)
        #expect(traffic["unitsReceived"] == actuals && traffic["filesReceived"] == actuals)
        #expect(a["pagesPerFile"] == 3 && a["postShare"] == 0.5 && a["staffYenPerHour"] == 2_000)
        // The figures, recomputed here from the printed traffic and assumptions.
        let sentPages = Double(plans * 3) * a["pagesPerFile"]!, pages = sentPages + Double(actuals) * a["pagesPerFile"]!
        let withoutStaff = pages * a["printYenPerPage"]! + Double(plans) * a["postShare"]! * a["postageYenPerUnit"]!
            + sentPages * (1 - a["postShare"]!) * a["faxYenPerPage"]!
        let minutes = Double(plans) * a["minutesPerUnitSent"]! + Double(actuals) * a["minutesPerUnitReceived"]!
        #expect(abs((json["totalWithoutStaffYen"] as? Double ?? -1) - withoutStaff) < 0.001)
        #expect(abs((json["totalWithStaffYen"] as? Double ?? -1) - (withoutStaff + minutes / 60 * a["staffYenPerHour"]!)) < 0.001)
        // The people's version prints every assumption with its flag, and the national yardstick.
        let text = try await Programs.run("renkei", ["savings", "--year", "\(year)", "--profile", server.profile("kyotaku")], in: folder)
        for flag in ["--pages-per-file", "--print-yen-per-page", "--post-share", "--postage-yen", "--fax-yen-per-page", "--minutes-per-sent",
                     "--minutes-per-received", "--staff-yen-per-hour", "¥72,000", "¥816,000"] {
            #expect(text.output.contains(flag), "\(flag)")
        }
    }
}
