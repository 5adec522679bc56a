import Foundation
import Testing

/// The built programs (`renkei`, `renkei-admin`, `renkei-server`), run as a user runs them: as child
/// processes in a folder of their own, with their output and exit status.
enum Programs {
    /// The build products folder (beside the test bundle).
    static let binaries: URL = {
        let candidates = [Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent(),
                          URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.appendingPathComponent("renkei-server").path) } ?? candidates[0]
    }()

    /// The package's root folder.
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    /// The standard's example files (copies kept in the repository).
    static let examples = packageRoot.appendingPathComponent("Tests/CarePlanStandardTests/Fixtures")

    struct Run: CustomStringConvertible {
        let status: Int32
        let output: String
        let error: String
        var description: String { "exit \(status)\nstdout: \(output)\nstderr: \(error)" }
    }

    /// Runs `program arguments` (a built program's name, or an absolute path) in `folder` and waits for it
    /// on a thread of its own, so that a long program never holds one of the few threads every async test
    /// shares (two on two cores: two waiting programs would stall every other test).
    @discardableResult
    static func run(_ program: String, _ arguments: [String], in folder: URL, environment: [String: String] = [:]) async throws -> Run {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try runWaiting(program, arguments, in: folder, environment: environment) })
            }
        }
    }

    private static func runWaiting(_ program: String, _ arguments: [String], in folder: URL, environment: [String: String]) throws -> Run {
        let process = Process()
        process.executableURL = program.hasPrefix("/") ? URL(fileURLWithPath: program) : binaries.appendingPathComponent(program)
        process.arguments = arguments
        process.currentDirectoryURL = folder
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "RENKEI_PROFILE")
        env.merge(environment) { _, new in new }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes while the child runs, so a full pipe never blocks it.
        let output = DataBox()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            output.data = out.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let error = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        group.wait()
        return Run(status: process.terminationStatus, output: String(decoding: output.data, as: UTF8.self), error: String(decoding: error, as: UTF8.self))
    }

    final class DataBox: @unchecked Sendable { var data = Data() }

    /// A temporary folder, removed by the caller.
    static func temporaryFolder(_ label: String) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("renkei-\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }
}

/// A `renkei-server` child process on a free port, in development mode, in its own data folder.
final class ServerProcess: @unchecked Sendable {
    let process = Process()
    let data: URL
    private(set) var port = 0
    private let output = Pipe()
    private let exited = DispatchSemaphore(value: 0)

    /// Starts the server and waits until it listens.
    init(data: URL, port: Int = 0, arguments: [String] = [], in folder: URL) throws {
        self.data = data
        process.executableURL = Programs.binaries.appendingPathComponent("renkei-server")
        process.arguments = ["--data", data.path, "--port", "\(port)", "--log-level", "warning"] + arguments
        process.currentDirectoryURL = folder
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.terminationHandler = { [exited] _ in exited.signal() }
        try process.run()
        // The first line says where it listens: "renkei-server listening on 127.0.0.1:PORT (…)".
        var line: [UInt8] = []
        while true {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            guard let first = byte.first else { break }
            if first == 0x0A { break }
            line.append(first)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let range = text.range(of: "listening on "), let colon = text[range.upperBound...].firstIndex(of: ":"),
              let port = Int(text[text.index(after: colon)...].prefix { $0.isNumber }) else {
            process.terminate()
            throw ServerDidNotStart(output: text)
        }
        self.port = port
        // Keep draining what it prints next, so it never blocks on a full pipe.
        let handle = output.fileHandleForReading
        Thread.detachNewThread { while !handle.availableData.isEmpty {} }
    }

    struct ServerDidNotStart: Error { let output: String }

    /// Registers, approves and licenses the two demo offices through the programs.
    func enrolDemoOffices(in folder: URL) async throws {
        for (name, kind) in [("kyotaku", "43"), ("houmon", "11")] {
            let run = try await Programs.run("renkei", ["register", "--profile", profile(name), "--name", name, "--service-kind", kind,
                                                  "--prefecture", "13", "--billing-login", "L\(kind)"], in: folder)
            #expect(run.status == 0, "\(run)")
        }
        for command in [["registrations", "approve"], ["license", "activate"]] {
            let run = try await Programs.run("renkei-admin", command + ["1310000001", "1310000002", "--profile", profile("operator")], in: folder)
            #expect(run.status == 0, "\(run)")
        }
    }

    /// A profile folder of the development setup.
    func profile(_ name: String) -> String { data.appendingPathComponent("profiles").appendingPathComponent(name).path }

    /// SIGTERM, then waits (a graceful stop). A server still running 60 s later is a failure of the test
    /// that stopped it; it is then killed, so that the test ends.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        if exited.wait(timeout: .now() + 60) == .timedOut {
            Issue.record("renkei-server did not stop within 60 s of SIGTERM")
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// SIGKILL, then waits.
    func kill() {
        guard process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { stop() }
}
