import Foundation
import Testing

/// `renkei-load stalled`: many subscribers that never read, beside one that does. The server child's
/// memory grows about as much as with the reader alone (each stalled subscriber costs the server a page of
/// events and what HTTP/2 flow control lets it write, not the backlog), the reader gets every unit, and the
/// stalled subscribers, reading at last, get every unit too, in order.
@Suite(.timeLimit(.minutes(10))) struct StalledSubscriberTests {
    @Test func subscribersThatNeverReadCostTheServerABoundedAmount() async throws {
        let folder = try Programs.temporaryFolder("stalled")
        defer { try? FileManager.default.removeItem(at: folder) }
        let units = 3_000, stalled = 50
        let run = try await Programs.run("renkei-load", ["stalled", "--stalled", "\(stalled)", "--units", "\(units)"], in: folder)
        try #require(run.status == 0, "\(run)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any])
        #expect(summary["reader_received"] as? Int == 2 * units, "\(run.output)")
        #expect(summary["stalled_then_read_all"] as? String == "yes", "\(run.output)")
        // Were the server to queue each stalled subscriber's backlog, 50 × 3,000 events (~200 bytes each
        // in memory) would add about 30 MiB more than the same traffic with the reader alone (measured with
        // such a queue put in on purpose); held to what flow control lets it write, the two phases grow alike.
        let alone = try #require(summary["alone_rss_growth_mib"] as? Double)
        let beside = try #require(summary["stalled_rss_growth_mib"] as? Double)
        #expect(beside - alone < 12, "the server's memory grew \(beside) MiB beside \(stalled) stalled subscribers, \(alone) MiB without: \(run.output)")
    }
}
