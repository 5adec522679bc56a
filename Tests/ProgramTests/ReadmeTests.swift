import Foundation
import Testing

/// The README's walkthrough, run as a user runs it: its lines, unchanged, as one bash script at the top of
/// a checkout (with `../shared/careplan-standard/examples` beside it), against a fresh development server
/// in `renkei-data`.
@Suite(.timeLimit(.minutes(10))) struct ReadmeTests {
    static func walkthrough() throws -> String {
        let readme = try String(contentsOf: Programs.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let begin = try #require(readme.range(of: "<!-- walkthrough:begin -->"))
        let end = try #require(readme.range(of: "<!-- walkthrough:end -->"))
        let block = readme[begin.upperBound..<end.lowerBound]
        let open = try #require(block.range(of: "```sh\n"))
        let close = try #require(block.range(of: "```", range: open.upperBound..<block.endIndex))
        return String(block[open.upperBound..<close.lowerBound])
    }

    @Test func theWalkthroughRunsAsShown() async throws {
        let root = try Programs.temporaryFolder("readme")
        defer { try? FileManager.default.removeItem(at: root) }
        let checkout = root.appendingPathComponent("renkei")
        let examples = root.appendingPathComponent("shared/careplan-standard/examples")
        try FileManager.default.createDirectory(at: checkout, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: examples.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Programs.examples, to: examples)
        let server = try ServerProcess(data: checkout.appendingPathComponent("renkei-data"), in: checkout)
        defer { server.stop() }

        let script = checkout.appendingPathComponent("walkthrough.sh")
        try ("set -euo pipefail\n" + (try Self.walkthrough())).write(to: script, atomically: true, encoding: .utf8)
        let path = Programs.binaries.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let run = try await Programs.run("/bin/bash", [script.path], in: checkout, environment: ["PATH": path])
        #expect(run.status == 0, "\(run)")
        // Both directions arrived byte for byte; the audit verified; the live store equals its rebuild.
        for name in try FileManager.default.contentsOfDirectory(atPath: examples.path) where !name.hasPrefix("UP1KYO") && !name.hasPrefix("UPHOSOKU_000000") {
            #expect(FileManager.default.contentsEqual(atPath: examples.appendingPathComponent(name).path,
                                                      andPath: checkout.appendingPathComponent("received/\(name)").path), "\(name)")
        }
        #expect(run.output.contains("検証しました / Verified"))
        // The sync pass sent the outbox's file (the same bytes as before: the first receipt, no second unit).
        let jsk = try #require(try FileManager.default.contentsOfDirectory(atPath: examples.path).first { $0.hasPrefix("UPJSK_") })
        #expect(FileManager.default.fileExists(atPath: checkout.appendingPathComponent("outbox/sent/\(jsk)").path), "\(run)")
        #expect(run.output.contains("already sent: first receipt"), "\(run)")
        #expect(FileManager.default.fileExists(atPath: checkout.appendingPathComponent("stats.svg").path))
        #expect(run.output.contains("DIFFERS") == false && run.output.contains("一致 ok"))
    }
}
