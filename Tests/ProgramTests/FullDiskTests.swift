import Foundation
import Testing

/// `renkei-server` with its data folder on a size-limited file system (a tmpfs) that fills up: uploaders get a
/// clear refusal (508, in Japanese and English) and nothing half-stored, reads and downloads keep working, the
/// store verifies, and uploads go through again as soon as space returns — with every acknowledged unit kept.
@Suite(.serialized, .timeLimit(.minutes(10))) struct FullDiskTests {
    static func run(_ arguments: [String]) async throws -> Int32 {
        try await Programs.run("/usr/bin/env", arguments, in: FileManager.default.temporaryDirectory).status
    }

    /// Detaches the tmpfs at `path` (lazily: a process still inside it keeps it until it leaves).
    static func unmount(_ path: String) {
        let umount = Process()
        umount.executableURL = URL(fileURLWithPath: "/usr/bin/umount")
        umount.arguments = ["-l", path]
        try? umount.run()
        umount.waitUntilExit()
    }

    /// Free bytes of the file system holding `path`.
    static func free(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfFileSystem(forPath: path)
        return (attributes[.systemFreeSize] as? NSNumber)?.intValue ?? 0
    }

    @Test(.enabled(if: getuid() == 0, "mounting a tmpfs needs root (Tools/dev test runs as root)"))
    func aFullDiskRefusesUploadsClearlyKeepsReadsAndRecovers() async throws {
        let folder = try Programs.temporaryFolder("fulldisk")
        defer { try? FileManager.default.removeItem(at: folder) }
        let disk = folder.appendingPathComponent("disk")
        try FileManager.default.createDirectory(at: disk, withIntermediateDirectories: true)
        // Room for the server's preallocated 256 MiB write-ahead log and a little more.
        try await #require(try Self.run(["mount", "-t", "tmpfs", "-o", "size=300m", "tmpfs", disk.path]) == 0, "mount a tmpfs")
        defer { Self.unmount(disk.path) }
        let data = disk.appendingPathComponent("data")
        let server = try ServerProcess(data: data, in: folder)
        defer { server.stop() }
        try await server.enrolDemoOffices(in: folder)

        // Ballast fills all but 12 MiB, so the store's next growth finds no room.
        let ballast = disk.appendingPathComponent("ballast")
        let room = 12 << 20
        try Data(count: max(0, try Self.free(disk.path) - room)).write(to: ballast)

        // Units of the example files and a 4 MiB PDF scan (incompressible), until the platform refuses one.
        var random = SeededGenerator(seed: 508)
        func unit(_ n: Int) throws -> [String] {
            let serial = String(format: "202505251031%02d", n)
            var paths: [String] = []
            for (name, bytes) in try SyncTests.unit(["UPPLAN_", "UPSIKYU_", "UPHOSOKU_202506"], serial: serial, from: "20250525103000") {
                try bytes.write(to: folder.appendingPathComponent(name))
                paths.append(folder.appendingPathComponent(name).path)
            }
            let scan = folder.appendingPathComponent("scan-\(serial).pdf")
            try Data(Array("%PDF-1.7\n".utf8) + (0..<(4 << 20)).map { _ in UInt8.random(in: 0...255, using: &random) }).write(to: scan)
            return paths + [scan.path]
        }
        var acknowledged: [UInt64] = []
        var refusal: Programs.Run?
        for n in 0..<40 where refusal == nil {
            let sent = try await Programs.run("renkei", ["send", "--json", "--profile", server.profile("kyotaku")] + (try unit(n)), in: folder)
            if sent.status == 0, let id = EndToEndTests.unitID(in: sent.output) { acknowledged.append(id) } else { refusal = sent }
        }
        let refused = try #require(refusal, "40 units of 4 MiB went into 12 MiB")
        #expect(refused.status == 5 && refused.error.contains("508") && refused.error.contains("保存領域が一杯です") && refused.error.contains("storage is full"),
                "\(refused)")
        #expect(!acknowledged.isEmpty)

        // Reads go on: the recipient lists and downloads what was acknowledged, whole; only the record of the
        // download waits for space (the unit stays unread, and the message says so).
        let inbox = try await Programs.run("renkei", ["inbox", "--json", "--profile", server.profile("houmon")], in: folder)
        for id in acknowledged { #expect(inbox.output.contains("\"unit_id\":\"\(id)\""), "\(id) in \(inbox.output.prefix(500))") }
        let received = folder.appendingPathComponent("received")
        let download = try await Programs.run("renkei", ["download", "\(acknowledged[0])", "--to", received.path, "--profile", server.profile("houmon")], in: folder)
        #expect(download.status == 5 && download.error.contains("[2021]") && download.error.contains("508"), "\(download)")
        for (name, bytes) in try SyncTests.unit(["UPPLAN_", "UPSIKYU_"], serial: "20250525103100", from: "20250525103000") {
            #expect(try Data(contentsOf: received.appendingPathComponent(name)) == bytes, "\(name) saved whole")
        }
        // Nothing half-stored: the store, as the live server holds it, verifies.
        let live = try await Programs.run("renkei-admin", ["verify", "--data", data.path], in: folder)
        #expect(live.status == 0, "\(live)")

        // Space returns: the next upload goes through, without a restart.
        try FileManager.default.removeItem(at: ballast)
        let again = try await Programs.run("renkei", ["send", "--json", "--profile", server.profile("kyotaku")] + (try unit(50)), in: folder)
        let last = try #require(EndToEndTests.unitID(in: again.output), "\(again)")
        acknowledged.append(last)
        let recorded = try await Programs.run("renkei", ["download", "\(acknowledged[0])", "--to", received.path, "--profile", server.profile("houmon")], in: folder)
        #expect(recorded.status == 0, "the download is recorded once there is room: \(recorded)")

        // Stopped and verified from its folder: every acknowledged unit is there.
        server.stop()
        let stopped = try await Programs.run("renkei-admin", ["verify", "--data", data.path], in: folder)
        #expect(stopped.status == 0, "\(stopped)")
        let restarted = try ServerProcess(data: data, in: folder)
        defer { restarted.stop() }
        let sent = try await Programs.run("renkei", ["sent", "--json", "--limit", "1000", "--profile", restarted.profile("kyotaku")], in: folder)
        for id in acknowledged { #expect(sent.output.contains("\"unit_id\":\"\(id)\""), "\(id) after a restart") }
    }
}
