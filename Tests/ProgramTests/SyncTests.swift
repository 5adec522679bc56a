import Foundation
import RenkeiModel
import Testing

/// `renkei sync` for both demo offices while the daemons and the server are killed (SIGKILL) at random
/// moments and started again: every file dropped into an outbox is delivered exactly once — one unit on
/// the platform per 連番, the files byte-identical in the recipient's inbox folder, each in sent/.
@Suite(.timeLimit(.minutes(10))) struct SyncTests {
    /// A `renkei sync` child process.
    final class Daemon {
        let arguments: [String]
        let folder: URL
        var process: Process?

        init(profile: String, outbox: URL, inbox: URL, folder: URL) {
            arguments = ["sync", "--profile", profile, "--outbox", outbox.path, "--inbox", inbox.path, "--settle", "0.3", "--interval", "0.2"]
            self.folder = folder
        }

        func start() throws {
            let process = Process()
            process.executableURL = Programs.binaries.appendingPathComponent("renkei")
            process.arguments = arguments
            process.currentDirectoryURL = folder
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            self.process = process
        }

        func kill() {
            guard let process, process.isRunning else { return }
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }

        deinit { kill() }
    }

    /// The standard's example files for one send unit, renamed to 連番 `serial` (a real date-time).
    static func unit(_ prefixes: [String], serial: String, from original: String) throws -> [(String, Data)] {
        try FileManager.default.contentsOfDirectory(atPath: Programs.examples.path).sorted()
            .filter { name in prefixes.contains { name.hasPrefix($0) } }
            .map { ($0.replacingOccurrences(of: original, with: serial), try Data(contentsOf: Programs.examples.appendingPathComponent($0))) }
    }

    @Test func everyFileIsDeliveredExactlyOnceThroughKills() async throws {
        var random = SeededGenerator(seed: UInt64(ProcessInfo.processInfo.environment["RENKEI_SYNC_SEED"] ?? "") ?? 20_261_130)
        let folder = try Programs.temporaryFolder("sync")
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("data")
        var server = try ServerProcess(data: data, in: folder)
        let port = server.port
        try await server.enrolDemoOffices(in: folder)
        let boxes = ["kyotaku", "houmon"].map { name in
            (outbox: folder.appendingPathComponent("\(name)-outbox"), inbox: folder.appendingPathComponent("\(name)-inbox"))
        }
        let daemons = [Daemon(profile: server.profile("kyotaku"), outbox: boxes[0].outbox, inbox: boxes[0].inbox, folder: folder),
                       Daemon(profile: server.profile("houmon"), outbox: boxes[1].outbox, inbox: boxes[1].inbox, folder: folder)]
        for daemon in daemons { try daemon.start() }
        for box in boxes { try FileManager.default.createDirectory(at: box.outbox, withIntermediateDirectories: true) }

        // 10 予定 units from the 居宅 office, 6 実績 units back, dropped one by one while things die.
        var dropped: [[String: Data]] = [[:], [:]]
        var plans = 0, actuals = 0
        for step in 0..<16 {
            let sender = step % 3 == 2 && actuals < 6 ? 1 : 0
            let files: [(String, Data)]
            if sender == 0 {
                files = try Self.unit(["UPPLAN_", "UPSIKYU_", "UPHOSOKU_202506"], serial: String(format: "202505251030%02d", plans), from: "20250525103000")
                plans += 1
            } else {
                files = try Self.unit(["UPJSK_"], serial: String(format: "202507011000%02d", actuals), from: "20250701100000")
                actuals += 1
            }
            for (name, bytes) in files {
                try bytes.write(to: boxes[sender].outbox.appendingPathComponent(name))
                dropped[sender][name] = bytes
            }
            try await Task.sleep(for: .seconds(Double.random(in: 0.05...0.5, using: &random)))
            // Random kills, and at least one of each kind at fixed steps.
            let action = step == 5 ? 2 : step == 10 ? 0 : Int.random(in: 0..<6, using: &random)
            switch action {
            case 0, 1:
                let daemon = daemons[Int.random(in: 0..<2, using: &random)]
                daemon.kill()
                try daemon.start()
            case 2:
                server.kill()
                try await Task.sleep(for: .seconds(Double.random(in: 0...0.5, using: &random)))
                server = try ServerProcess(data: data, port: port, in: folder)
            default:
                break
            }
        }

        // Everything arrives: the outboxes empty, every file in the other office's inbox.
        let deadline = Date() + 90
        func settled() -> Bool {
            (0..<2).allSatisfy { sender in
                let receiver = boxes[1 - sender].inbox
                let pending = (try? FileManager.default.contentsOfDirectory(atPath: boxes[sender].outbox.path))?.filter { $0.hasSuffix(".CSV") } ?? ["?"]
                return pending.isEmpty && dropped[sender].keys.allSatisfy { FileManager.default.fileExists(atPath: receiver.appendingPathComponent($0).path) }
            }
        }
        while !settled(), Date() < deadline { try await Task.sleep(for: .milliseconds(200)) }
        #expect(settled(), "not everything was delivered within 90 s")
        for daemon in daemons { daemon.kill() }

        for sender in 0..<2 {
            let sent = boxes[sender].outbox.appendingPathComponent("sent")
            let rejected = (try? FileManager.default.contentsOfDirectory(atPath: boxes[sender].outbox.appendingPathComponent("rejected").path)) ?? []
            #expect(rejected.isEmpty, "rejected: \(rejected)")
            #expect(Set(try FileManager.default.contentsOfDirectory(atPath: sent.path)) == Set(dropped[sender].keys))
            for (name, bytes) in dropped[sender] {
                #expect(try Data(contentsOf: boxes[1 - sender].inbox.appendingPathComponent(name)) == bytes, "\(name)")
            }
            let inboxNames = try FileManager.default.contentsOfDirectory(atPath: boxes[1 - sender].inbox.path)
            #expect(Set(inboxNames) == Set(dropped[sender].keys), "nothing else, no temporary files: \(inboxNames)")
        }
        // Exactly once on the platform: one unit per 連番, each downloaded.
        let listing = try await Programs.run("renkei", ["sent", "--json", "--limit", "1000", "--profile", server.profile("kyotaku")], in: folder)
        #expect(listing.output.components(separatedBy: "\"unit_id\"").count - 1 == plans, "\(listing)")
        #expect(listing.output.contains("UNIT_STATUS_UNREAD") == false)
        let back = try await Programs.run("renkei", ["sent", "--json", "--limit", "1000", "--profile", server.profile("houmon")], in: folder)
        #expect(back.output.components(separatedBy: "\"unit_id\"").count - 1 == actuals, "\(back)")
        server.stop()
    }
}

/// The tests' kills and pauses follow from one seed (RENKEI_SYNC_SEED reproduces a run).
typealias SeededGenerator = SplitMix64

/// What `renkei sync` does with files it cannot send: each moves to rejected/ with a findings report beside
/// it that names the cause (line and column for the standard's errors), and the good unit beside them is sent.
@Suite(.timeLimit(.minutes(10))) struct SyncRejectionTests {
    @Test func refusedFilesMoveToRejectedWithTheirFindings() async throws {
        let platform = try await SyncPlatform("sync-reject")
        defer { withExtendedLifetime(platform) {} }
        let (folder, server, outbox, inbox) = (platform.folder, platform.server, platform.outbox, platform.inbox)
        // A good 予定 unit; the same unit with an impossible date (June 31st) under another 連番; another office's 実績.
        let good = try SyncTests.unit(["UPPLAN_", "UPSIKYU_", "UPHOSOKU_202506"], serial: "20250525103001", from: "20250525103000")
        var broken = try SyncTests.unit(["UPPLAN_", "UPSIKYU_", "UPHOSOKU_202506"], serial: "20250525103002", from: "20250525103000")
        let planIndex = try #require(broken.firstIndex { $0.0.hasPrefix("UPPLAN_") })
        let text = Data(",20250611,".utf8), bad = Data(",20250631,".utf8)
        let range = try #require(broken[planIndex].1.range(of: text))
        broken[planIndex].1.replaceSubrange(range, with: bad)
        let foreign = try SyncTests.unit(["UPJSK_"], serial: "20250701100000", from: "20250701100000")
        for (name, bytes) in good + broken + foreign { try bytes.write(to: outbox.appendingPathComponent(name)) }

        let run = try await Programs.run("renkei", ["sync", "--once", "--settle", "0", "--outbox", outbox.path, "--inbox", inbox.path,
                                              "--profile", server.profile("kyotaku")], in: folder)
        #expect(run.status == 0, "\(run)")
        let sent = Set(try FileManager.default.contentsOfDirectory(atPath: outbox.appendingPathComponent("sent").path))
        #expect(sent == Set(good.map(\.0)), "\(run)")
        let rejected = outbox.appendingPathComponent("rejected")
        for (name, _) in broken + foreign {
            #expect(FileManager.default.fileExists(atPath: rejected.appendingPathComponent(name).path), "\(name)")
            #expect(FileManager.default.fileExists(atPath: rejected.appendingPathComponent(name + ".findings.txt").path), "\(name)")
        }
        let planReport = try String(contentsOf: rejected.appendingPathComponent(broken[planIndex].0 + ".findings.txt"), encoding: .utf8)
        #expect(planReport.contains("[1008]") && planReport.contains("20250631"), "\(planReport)")
        let foreignReport = try String(contentsOf: rejected.appendingPathComponent(foreign[0].0 + ".findings.txt"), encoding: .utf8)
        #expect(foreignReport.contains("[2011]") && foreignReport.contains("1310000002"), "\(foreignReport)")
        // Nothing is left in the outbox but the folders sync keeps.
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: outbox.path)).subtracting([".renkei-sync", ".renkei-sync.lock"]) == ["sent", "rejected"])
    }
}

/// A send unit whose files arrive one by one is sent once, whole: files of an incomplete unit wait.
@Suite(.timeLimit(.minutes(10))) struct SyncWholeUnitTests {
    @Test func anIncompleteUnitWaitsForItsLastFile() async throws {
        let platform = try await SyncPlatform("sync-whole")
        defer { withExtendedLifetime(platform) {} }
        let (folder, server, outbox, inbox) = (platform.folder, platform.server, platform.outbox, platform.inbox)
        let unit = try SyncTests.unit(["UPPLAN_", "UPSIKYU_", "UPHOSOKU_202506"], serial: "20250525103000", from: "20250525103000")
        let pass = ["sync", "--once", "--settle", "0", "--outbox", outbox.path, "--inbox", inbox.path, "--profile", server.profile("kyotaku")]
        // 第6表 and 第7表 are there, 利用者補足情報 not yet: nothing is sent.
        for (name, bytes) in unit where !name.hasPrefix("UPHOSOKU") { try bytes.write(to: outbox.appendingPathComponent(name)) }
        #expect(try await Programs.run("renkei", pass, in: folder).status == 0)
        #expect(!FileManager.default.fileExists(atPath: outbox.appendingPathComponent("sent").appendingPathComponent(unit[0].0).path))
        // The last file arrives: the three go as one unit.
        for (name, bytes) in unit where name.hasPrefix("UPHOSOKU") { try bytes.write(to: outbox.appendingPathComponent(name)) }
        #expect(try await Programs.run("renkei", pass, in: folder).status == 0)
        let sent = try await Programs.run("renkei", ["sent", "--json", "--profile", server.profile("kyotaku")], in: folder)
        #expect(sent.output.components(separatedBy: "\"unit_id\"").count - 1 == 1, "\(sent)")
        #expect(sent.output.contains("\"file_count\":3"), "\(sent)")
    }
}

/// A development server with both demo offices enrolled, and an empty outbox and inbox beside it.
final class SyncPlatform {
    let folder: URL
    let server: ServerProcess
    let outbox: URL
    let inbox: URL

    init(_ label: String) async throws {
        folder = try Programs.temporaryFolder(label)
        server = try ServerProcess(data: folder.appendingPathComponent("data"), in: folder)
        try await server.enrolDemoOffices(in: folder)
        outbox = folder.appendingPathComponent("outbox")
        inbox = folder.appendingPathComponent("inbox")
        try FileManager.default.createDirectory(at: outbox, withIntermediateDirectories: true)
    }

    deinit {
        server.stop()
        try? FileManager.default.removeItem(at: folder)
    }
}
