import Foundation
import Testing

/// Bad input to the programs ends with a numbered error in Japanese and English and the documented exit
/// status (renkei --help), and leaves nothing half-written.
@Suite(.serialized, .timeLimit(.minutes(10))) struct BadInputTests {
    static let isRoot = getuid() == 0

    /// A server with both demo offices registered and licensed, and the 予定 unit sent to 1310000002.
    final class Fixture {
        let folder: URL
        let server: ServerProcess
        let unit: UInt64

        init() async throws {
            folder = try Programs.temporaryFolder("bad-input")
            server = try ServerProcess(data: folder.appendingPathComponent("data"), in: folder)
            try await server.enrolDemoOffices(in: folder)
            let files = try FileManager.default.contentsOfDirectory(atPath: Programs.examples.path)
                .filter { $0.hasPrefix("UPPLAN_") || $0.hasPrefix("UPSIKYU_") || $0.hasPrefix("UPHOSOKU_202506") }
                .map { Programs.examples.appendingPathComponent($0).path }
            let sent = try await Programs.run("renkei", ["send", "--json", "--profile", server.profile("kyotaku")] + files, in: folder)
            unit = try #require(EndToEndTests.unitID(in: sent.output), "\(sent)")
        }

        /// A copy of a profile with `change` applied to its files.
        func profileCopy(_ name: String, _ change: (URL) throws -> Void) throws -> String {
            let copy = folder.appendingPathComponent("copy-\(name)-\(UUID().uuidString.prefix(4))")
            try FileManager.default.copyItem(atPath: server.profile(name), toPath: copy.path)
            try change(copy)
            return copy.path
        }

        deinit {
            server.stop()
            try? FileManager.default.removeItem(at: folder)
        }
    }

    func expectError(_ run: Programs.Run, code: Int, status: Int32, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(run.status == status, "\(run)", sourceLocation: sourceLocation)
        #expect(run.error.contains("[\(code)]"), "\(run)", sourceLocation: sourceLocation)
        // Both languages: some Japanese, and an English message after the slash.
        #expect(run.error.unicodeScalars.contains { $0.value >= 0x3040 && $0.value <= 0x9FFF } && run.error.contains(" / "), "\(run)", sourceLocation: sourceLocation)
    }

    @Test func localProblemsAreNumberedAndChangeNothing() async throws {
        let fixture = try await Fixture()
        let kyotaku = fixture.server.profile("kyotaku")
        // A missing file.
        expectError(try await Programs.run("renkei", ["send", "--profile", kyotaku, "NOT_THERE.CSV"], in: fixture.folder), code: 2001, status: 3)
        // No profile in the folder given.
        expectError(try await Programs.run("renkei", ["inbox", "--profile", fixture.folder.appendingPathComponent("nobody").path], in: fixture.folder), code: 2006, status: 3)
        // Another office's files: refused before anything is sent.
        let jsk = try #require(try FileManager.default.contentsOfDirectory(atPath: Programs.examples.path).first { $0.hasPrefix("UPJSK_") })
        expectError(try await Programs.run("renkei", ["send", "--profile", kyotaku, Programs.examples.appendingPathComponent(jsk).path], in: fixture.folder),
                    code: 2011, status: 3)
        // A download into a file that exists with other content is refused; the file is untouched.
        let target = fixture.folder.appendingPathComponent("target")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: Programs.examples.path).first { $0.hasPrefix("UPPLAN_") })
        try Data("mine".utf8).write(to: target.appendingPathComponent(name))
        expectError(try await Programs.run("renkei", ["download", "\(fixture.unit)", "--to", target.path, "--profile", fixture.server.profile("houmon")],
                                     in: fixture.folder), code: 2003, status: 3)
        #expect(try Data(contentsOf: target.appendingPathComponent(name)) == Data("mine".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: target.path) == [name])
        // Still unread: nothing was acknowledged.
        let inbox = try await Programs.run("renkei", ["inbox", "--status", "unread", "--profile", fixture.server.profile("houmon")], in: fixture.folder)
        #expect(inbox.output.contains("未読"))
    }

    @Test func aWrongPKCS12PasswordIsRefusedAndTheRightOneImports() async throws {
        let fixture = try await Fixture()
        let profile = URL(fileURLWithPath: fixture.server.profile("houmon"))
        let p12 = fixture.folder.appendingPathComponent("houmon.p12")
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        openssl.arguments = ["pkcs12", "-export", "-inkey", profile.appendingPathComponent("key.pem").path,
                             "-in", profile.appendingPathComponent("certificate.pem").path, "-passout", "pass:正しい-secret", "-out", p12.path]
        try openssl.run()
        openssl.waitUntilExit()
        #expect(openssl.terminationStatus == 0)
        let server = "127.0.0.1:\(fixture.server.port)", ca = profile.appendingPathComponent("platform-ca.pem").path
        let imported = fixture.folder.appendingPathComponent("imported").path
        expectError(try await Programs.run("renkei", ["init", "--profile", imported, "--p12", p12.path, "--server", server, "--ca", ca],
                                     in: fixture.folder, environment: ["RENKEI_P12_PASSWORD": "wrong"]), code: 2008, status: 3)
        #expect(!FileManager.default.fileExists(atPath: imported + "/key.pem"))
        let good = try await Programs.run("renkei", ["init", "--profile", imported, "--p12", p12.path, "--server", server, "--ca", ca],
                                    in: fixture.folder, environment: ["RENKEI_P12_PASSWORD": "正しい-secret"])
        #expect(good.status == 0, "\(good)")
        #expect(try await Programs.run("renkei", ["inbox", "--profile", imported], in: fixture.folder).output.contains("\(fixture.unit)"))
    }

    @Test func anUnreachableOrUntrustedServerIsNamedAsSuch() async throws {
        let fixture = try await Fixture()
        // Nothing listens on the port this profile names.
        let closed = try fixture.profileCopy("kyotaku") { copy in
            let file = copy.appendingPathComponent("profile.json")
            let text = try String(contentsOf: file, encoding: .utf8).replacingOccurrences(of: ":\(fixture.server.port)", with: ":1")
            try text.write(to: file, atomically: true, encoding: .utf8)
        }
        expectError(try await Programs.run("renkei", ["inbox", "--profile", closed], in: fixture.folder), code: 2009, status: 4)
        // This profile trusts another CA than the one that issued the server's certificate.
        let otherData = fixture.folder.appendingPathComponent("other")
        let other = try ServerProcess(data: otherData, in: fixture.folder)
        other.stop()
        let untrusted = try fixture.profileCopy("kyotaku") { copy in
            try FileManager.default.removeItem(at: copy.appendingPathComponent("platform-ca.pem"))
            try FileManager.default.copyItem(at: otherData.appendingPathComponent("pki/ca.pem"), to: copy.appendingPathComponent("platform-ca.pem"))
        }
        expectError(try await Programs.run("renkei", ["inbox", "--profile", untrusted], in: fixture.folder), code: 2010, status: 4)
        // The other way round: the server does not trust this profile's certificate (another CA issued it).
        let stranger = try fixture.profileCopy("kyotaku") { copy in
            for file in ["key.pem", "certificate.pem"] {
                try FileManager.default.removeItem(at: copy.appendingPathComponent(file))
                try FileManager.default.copyItem(at: otherData.appendingPathComponent("profiles/kyotaku/\(file)"), to: copy.appendingPathComponent(file))
            }
        }
        expectError(try await Programs.run("renkei", ["inbox", "--profile", stranger], in: fixture.folder), code: 2020, status: 4)
    }

    @Test(.enabled(if: isRoot, "mounts a small tmpfs")) func aFullDiskWhileDownloadingLeavesNoFileAndNoAcknowledgement() async throws {
        let fixture = try await Fixture()
        let small = fixture.folder.appendingPathComponent("small")
        try FileManager.default.createDirectory(at: small, withIntermediateDirectories: true)
        // One page: the first file fits, the second does not.
        let mount = try Programs.runTool("/bin/mount", ["-t", "tmpfs", "-o", "size=4k", "tmpfs", small.path])
        try #require(mount == 0)
        defer { _ = try? Programs.runTool("/bin/umount", [small.path]) }
        let run = try await Programs.run("renkei", ["download", "\(fixture.unit)", "--to", small.path, "--profile", fixture.server.profile("houmon")], in: fixture.folder)
        expectError(run, code: 2004, status: 3)
        #expect(try FileManager.default.contentsOfDirectory(atPath: small.path) == [], "nothing half-written, no temporary files")
        let inbox = try await Programs.run("renkei", ["inbox", "--status", "unread", "--profile", fixture.server.profile("houmon")], in: fixture.folder)
        #expect(inbox.output.contains("\(fixture.unit)"), "not acknowledged: \(inbox)")
    }

    @Test func theServerRefusesBadConfiguration() async throws {
        let folder = try Programs.temporaryFolder("server-config")
        defer { try? FileManager.default.removeItem(at: folder) }
        // Production mode without certificates.
        expectError(try await Programs.run("renkei-server", ["--mode", "production", "--data", folder.appendingPathComponent("d").path], in: folder),
                    code: 2017, status: 2)
        // A misspelt key in the configuration file is not ignored.
        let config = folder.appendingPathComponent("renkei.json")
        try Data(#"{"prot": 7443}"#.utf8).write(to: config)
        let run = try await Programs.run("renkei-server", ["--config", config.path], in: folder)
        expectError(run, code: 2005, status: 2)
        #expect(run.error.contains("prot"))
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("renkei-data").path), "nothing created")
    }
}

extension Programs {
    /// Runs a system tool and returns its exit status.
    static func runTool(_ path: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}

/// `renkei-server`'s settings: defaults, then the configuration file, then `RENKEI_*`, then flags.
@Suite(.timeLimit(.minutes(10))) struct ServerSettingsTests {
    /// Starts `renkei-server arguments` with `environment`, waits for its first line, stops it; returns the line.
    func firstLine(_ arguments: [String], environment: [String: String], in folder: URL) throws -> String {
        let process = Process()
        process.executableURL = Programs.binaries.appendingPathComponent("renkei-server")
        process.arguments = arguments + ["--log-level", "error"]
        process.currentDirectoryURL = folder
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        var line: [UInt8] = []
        while let byte = output.fileHandleForReading.readData(ofLength: 1).first, byte != 0x0A { line.append(byte) }
        return String(decoding: line, as: UTF8.self)
    }

    @Test func laterSourcesWin() async throws {
        let folder = try Programs.temporaryFolder("settings")
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("renkei.json")
        try Data(#"{"data": "from-file", "port": 0, "checkpointSeconds": 0}"#.utf8).write(to: config)
        // The file alone.
        #expect(try firstLine(["--config", config.path], environment: [:], in: folder).contains("data from-file"))
        // The environment over the file.
        #expect(try firstLine(["--config", config.path], environment: ["RENKEI_DATA": "from-env"], in: folder).contains("data from-env"))
        // A flag over both.
        #expect(try firstLine(["--config", config.path, "--data", "from-flag"], environment: ["RENKEI_DATA": "from-env"], in: folder).contains("data from-flag"))
        for name in ["from-file", "from-env", "from-flag"] {
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("\(name)/pki/ca.pem").path), "\(name)")
        }
        // A bad value in the environment is named.
        let bad = try await Programs.run("renkei-server", ["--config", config.path], in: folder, environment: ["RENKEI_PORT": "seven"])
        #expect(bad.status == 2 && bad.error.contains("[2005]") && bad.error.contains("RENKEI_PORT"), "\(bad)")
    }
}
