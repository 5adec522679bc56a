import Foundation
import Testing

/// Clients that vanish (killed with SIGKILL: the connection just drops) in the middle of an upload or a
/// download, at five different moments: the platform holds either the whole unit or nothing of it, a download
/// cut short leaves the unit unread and no file under its real name, and the next attempt completes.
@Suite(.timeLimit(.minutes(10))) struct VanishingClientTests {
    /// Runs `renkei arguments` and kills it with SIGKILL after `milliseconds` unless it ended first; the exit status, or nil when killed.
    static func cut(_ arguments: [String], after milliseconds: Int, in folder: URL) throws -> Int32? {
        let process = Process()
        process.executableURL = Programs.binaries.appendingPathComponent("renkei")
        process.arguments = arguments
        process.currentDirectoryURL = folder
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(Double(milliseconds) / 1000)
        while process.isRunning, Date() < deadline { usleep(5_000) }
        guard process.isRunning else { return process.terminationStatus }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return nil
    }

    static func units(_ listing: String) -> [String] {
        listing.components(separatedBy: "\"unit_id\":\"").dropFirst().map { String($0.prefix { $0.isNumber }) }
    }

    @Test func uploadsAndDownloadsCutShortLeaveNothingHalfDone() async throws {
        let platform = try await SyncPlatform("vanish")
        defer { withExtendedLifetime(platform) {} }
        let (folder, server) = (platform.folder, platform.server)
        var random = SeededGenerator(seed: 1_017)
        var completed = 0, cut = 0
        for (round, delay) in [40, 120, 250, 500, 900].enumerated() {
            // A unit with a 12 MiB scan: long enough on the wire to be cut.
            var paths: [String] = []
            let serial = String(format: "202505251040%02d", round)
            for (name, bytes) in try SyncTests.unit(["UPPLAN_", "UPSIKYU_", "UPHOSOKU_202506"], serial: serial, from: "20250525103000") {
                try bytes.write(to: folder.appendingPathComponent(name))
                paths.append(folder.appendingPathComponent(name).path)
            }
            let scan = folder.appendingPathComponent("scan-\(serial).pdf")
            try Data(Array("%PDF-1.7\n".utf8) + (0..<(12 << 20)).map { _ in UInt8.random(in: 0...255, using: &random) }).write(to: scan)
            paths.append(scan.path)
            let before = Self.units(try await Programs.run("renkei", ["sent", "--json", "--limit", "1000", "--profile", server.profile("kyotaku")], in: folder).output)
            let status = try Self.cut(["send", "--profile", server.profile("kyotaku")] + paths, after: delay, in: folder)
            if status == nil { cut += 1 } else { completed += 1 }
            let after = Self.units(try await Programs.run("renkei", ["sent", "--json", "--limit", "1000", "--profile", server.profile("kyotaku")], in: folder).output)
            #expect(after.count - before.count <= 1, "round \(round): at most the one unit")
            // Sent again (the same files, so the same idempotency key): exactly one unit, whole.
            let again = try await Programs.run("renkei", ["send", "--json", "--profile", server.profile("kyotaku")] + paths, in: folder)
            let unit = try #require(EndToEndTests.unitID(in: again.output), "round \(round): \(again)")
            let final = Self.units(try await Programs.run("renkei", ["sent", "--json", "--limit", "1000", "--profile", server.profile("kyotaku")], in: folder).output)
            #expect(final.count == before.count + 1 && final.contains(String(unit)), "round \(round): one unit after the retry")

            // The recipient's download cut short: still unread, nothing under a real name; then it completes.
            let received = folder.appendingPathComponent("received-\(round)")
            _ = try Self.cut(["download", String(unit), "--to", received.path, "--profile", server.profile("houmon")], after: delay, in: folder)
            let unread = try await Programs.run("renkei", ["inbox", "--json", "--status", "unread", "--profile", server.profile("houmon")], in: folder)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: received.path))?.filter { !$0.hasPrefix(".") } ?? []
            // Whatever is under a real name is whole (the files are renamed into place only when all are), and a unit
            // still unread was not acknowledged before its files were all in place.
            for name in names { #expect(try Data(contentsOf: received.appendingPathComponent(name)) == Data(contentsOf: folder.appendingPathComponent(name)), "\(name) is whole") }
            if !Self.units(unread.output).contains(String(unit)) { #expect(names.count == 4, "round \(round): acknowledged only once all 4 files were in place") }
            let download = try await Programs.run("renkei", ["download", String(unit), "--to", received.path, "--profile", server.profile("houmon")], in: folder)
            #expect(download.status == 0 || download.error.contains("1015"), "round \(round): \(download)")
            #expect(try Data(contentsOf: received.appendingPathComponent(scan.lastPathComponent)) == Data(contentsOf: scan), "round \(round): the scan, whole")
        }
        #expect(cut > 0, "at least one upload was cut short (completed \(completed))")
        let verify = try await Programs.run("renkei-admin", ["verify", "--data", server.data.path], in: folder)
        #expect(verify.status == 0, "\(verify)")
    }
}
