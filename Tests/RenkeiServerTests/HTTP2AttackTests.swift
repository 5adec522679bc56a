import Foundation
import RenkeiClient
import Testing

/// HTTP/2 attacks from an authenticated office (a Python client on h2 and hyperframe, which the test command
/// installs from PyPI; `Python/h2attacks.py`): a compression bomb, floods of pings, of reset streams, of
/// CONTINUATION and of empty DATA frames, and a message in one-byte frames. The server turns each away (or, for
/// the last, simply serves it) without its memory growing, and serves another office meanwhile and after.
@Suite(.serialized, .timeLimit(.minutes(10))) struct HTTP2AttackTests {
    static func residentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kilobytes * 1024
    }

    @Test func floodsBombsAndTinyFramesAreTurnedAway() async throws {
        let platform = try await TestPlatform()
        let plan = Traffic().plan
        let office = try await platform.enrol(plan.sender, kind: plan.senderKind)
        let folder = URL(fileURLWithPath: platform.folder + "-h2")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try platform.caPEM.write(to: folder.appendingPathComponent("ca.pem"), atomically: true, encoding: .utf8)
        try (office.credential.certificate.pem + office.credential.chain.map(\.pem).joined())
            .write(to: folder.appendingPathComponent("office.pem"), atomically: true, encoding: .utf8)
        try office.credential.key.pem().write(to: folder.appendingPathComponent("office.key"), atomically: true, encoding: .utf8)
        let before = Self.residentBytes()

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", OtherLanguageTests.repository.appendingPathComponent("Tests/RenkeiServerTests/Python/h2attacks.py").path,
                             "--port", String(platform.port), "--dir", folder.path]
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Another office is served while the attacks run.
        let bystander = try platform.client(office.credential)
        var served = 0
        while process.isRunning {
            _ = try await bystander.serverInfo()
            served += 1
            try await Task.sleep(for: .milliseconds(100))
        }
        let (stdout, stderr) = await finished(process, output: output, errors: errors)
        try #require(process.terminationStatus == 0, "h2attacks.py failed (Tools/dev test installs h2): \(String(decoding: stderr, as: UTF8.self).suffix(2000))")

        struct Outcome: Decodable { let closed: Bool; let goaway: Int?; let grpc_status: String?; let stream_ended: Bool?; let seconds: Double }
        let results = try JSONDecoder().decode([String: Outcome].self, from: stdout)
        let report = String(decoding: stdout, as: UTF8.self)
        print("h2attacks.py:", report)
        // The bomb is not inflated: the server takes no compressed messages (UNIMPLEMENTED) and ends the call.
        let bomb = try #require(results["bomb"])
        #expect(bomb.grpc_status != nil && bomb.grpc_status != "0" && bomb.stream_ended == true, "\(report)")
        // Floods end the abuser's connection with GOAWAY ENHANCE_YOUR_CALM (0xb), quickly.
        for flood in ["pings", "resets", "continuations", "empty_data"] {
            let outcome = try #require(results[flood])
            #expect(outcome.goaway == 0xB, "\(flood): \(report)")
            #expect(outcome.seconds < 15, "\(flood) took \(outcome.seconds) s")
        }
        // A message in one-byte frames is legal, slow and small: it is read and answered (here: refused as no Send).
        let tiny = try #require(results["tiny_data"])
        #expect(tiny.grpc_status != nil || tiny.closed, "\(report)")

        #expect(served > 0, "the other office was served while the attacks ran")
        try await RefusalTests.stillServes(platform, bystander)
        let grown = Self.residentBytes() - before
        #expect(grown < 96 << 20, "the server grew by \(grown >> 20) MiB under the attacks")
        await bystander.close()
        await office.close()
        await platform.stop()
    }
}
