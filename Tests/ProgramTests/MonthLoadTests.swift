import Foundation
import Testing

/// `renkei-load month`: generated offices through two month ends over TLS — 予定 bursts, withdrawals, 実績
/// bursts, every office subscribed and downloading — and the books balance: every unit sent reached its
/// recipient's subscription and was downloaded, or was withdrawn; each operation has its latency percentiles.
@Suite(.timeLimit(.minutes(10))) struct MonthLoadTests {
    @Test func twoMonthEndsBetweenGeneratedOfficesBalance() async throws {
        let folder = try Programs.temporaryFolder("month")
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = try await Programs.run("renkei-load", ["month", "--worlds", "3", "--months", "2", "--withdraw-percent", "10"], in: folder)
        try #require(run.status == 0, "\(run)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any])
        let sent = try #require(summary["sent"] as? Int), delivered = try #require(summary["delivered"] as? Int)
        let downloaded = try #require(summary["downloaded"] as? Int), withdrawn = try #require(summary["withdrawn"] as? Int)
        #expect(sent > 100 && (summary["offices"] as? Int ?? 0) > 10, "\(run.output)")
        #expect(delivered == sent && downloaded + withdrawn == sent && summary["failures"] as? Int == 0, "\(run.output)")
        #expect(withdrawn + (summary["withdrawals_too_late"] as? Int ?? 0) > 0, "some 予定 were withdrawn: \(run.output)")
        let operations = try #require(summary["operations"] as? [String: [String: Any]])
        for operation in ["send 予定", "send 実績", "download", "acknowledge", "send → delivery"] {
            let figures = try #require(operations[operation], "\(operation)")
            #expect((figures["count"] as? Int ?? 0) > 0 && figures["p99_ms"] != nil && figures["p999_ms"] != nil, "\(operation): \(figures)")
        }
        #expect(run.error.contains("month 2/2 sent"), "progress lines: \(run.error.suffix(400))")
    }
}
