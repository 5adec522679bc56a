// renkei-load stalled: subscribers that never read. The same traffic runs twice through one server child —
// first with one reading subscriber alone, then beside many subscribers of the same office that never
// read (each on its own connection with a small receive window) — and the command reports the server's
// memory growth and the reading subscriber's delivery in each phase. Afterwards the stalled subscribers
// read at last and must each get every unit of their phase, in order.
import ArgumentParser
import Foundation
import Histogram
import RenkeiAPI
import RenkeiClient
import Synchronization

struct Stalled: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stalled",
        abstract: "Subscribers that never read: the server's memory stays bounded, the reading subscriber keeps its rate.")
    @Option(help: "Subscribers that never read, each on its own connection.") var stalled = 50
    @Option(help: "Units sent in each phase.") var units = 3_000
    @Option(help: "Concurrent sending connections.") var senders = 16

    func run() async throws {
        let platform = try await LoadPlatform(units: 2_400)
        let senders = try (0..<self.senders).map { _ in try platform.client(platform.sender) }
        let alone = try await phase(platform, senders: senders, stalledCount: 0, first: 0)
        let beside = try await phase(platform, senders: senders, stalledCount: stalled, first: units)
        for connection in senders { await connection.close() }
        await platform.stop()
        emit(json([("units_per_phase", units), ("stalled_subscribers", stalled),
                    ("alone_rss_growth_mib", alone.growth / 1_048_576), ("stalled_rss_growth_mib", beside.growth / 1_048_576),
                    ("alone_rate", alone.rate), ("stalled_rate", beside.rate),
                    ("alone_p50_ms", alone.p50), ("alone_p99_ms", alone.p99),
                    ("stalled_p50_ms", beside.p50), ("stalled_p99_ms", beside.p99),
                    ("reader_received", alone.received + beside.received),
                    ("stalled_then_read_all", beside.stalledReadAll ? "yes" : "no")]))
    }

    struct PhaseResult {
        var growth: Double
        var rate: Double
        var p50: Double
        var p99: Double
        var received: Int
        var stalledReadAll: Bool
    }

    /// Sends `units` units (numbered from `first`) while one subscriber reads them and `stalledCount`
    /// others, subscribed before the first send, never read. Memory is the server child's resident size
    /// just before the first send and just after the reader has every unit (the stalled still holding on).
    func phase(_ platform: LoadPlatform, senders: [RenkeiClient], stalledCount: Int, first: Int) async throws -> PhaseResult {
        let units = self.units
        let latest = try await platform.operatorClient.stats().latestSequence
        let stalledClients = try (0..<stalledCount).map { _ in try platform.client(platform.recipient, window: 65_535) }
        let stalledStreams = stalledClients.map { $0.subscribe(after: latest, heartbeatSeconds: 3600) }
        let reader = try platform.client(platform.recipient)
        let readerStream = reader.subscribe(after: latest, heartbeatSeconds: 3600)
        try await platform.waitForSubscriptions(stalledCount + 1)
        let label = stalledCount == 0 ? "alone" : "beside \(stalledCount) stalled"
        progress("\(label): \(stalledCount + 1) subscriptions open, sending \(units) units")
        let before = try platform.serverStatistics()["rss_bytes"] ?? 0

        let received = Task {
            var arrivals: [(unit: UInt64, at: ContinuousClock.Instant)] = []
            for try await message in readerStream {
                guard case .received(let unit)? = message.event else { continue }
                arrivals.append((unit.unitID, ContinuousClock.now))
                if arrivals.count == units { break }
            }
            return arrivals
        }
        let counter = Counter()
        let started = ContinuousClock.now
        let sent = try await withThrowingTaskGroup(of: [(UInt64, ContinuousClock.Instant)].self) { group in
            for connection in senders {
                group.addTask {
                    var sent: [(UInt64, ContinuousClock.Instant)] = []
                    while true {
                        let n = counter.next()
                        guard n <= units else { return sent }
                        let start = ContinuousClock.now
                        let receipt = try await connection.send(platform.units[(first + n) % platform.units.count], to: platform.recipientNumber,
                                                                idempotencyKey: "stalled-\(first + n)", checker: nil)
                        sent.append((receipt.unitID, start))
                    }
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let arrivals = try await received.value
        let wall = ((arrivals.last?.at ?? started) - started) / .seconds(1)
        let after = try platform.serverStatistics()["rss_bytes"] ?? 0
        progress("\(label): the reader has all \(arrivals.count) units after \(String(format: "%.1f", wall)) s")
        await reader.close()

        // Send → delivery, joined by unit after the phase.
        let startedAt = Dictionary(sent, uniquingKeysWith: { first, _ in first })
        var histogram = Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
        for (unit, at) in arrivals {
            guard let start = startedAt[unit] else { throw ValidationError("unit \(unit) arrived but was not sent in this phase") }
            histogram.record(UInt64(max(0, (at - start) / .microseconds(1))))
        }

        // The stalled subscribers read at last: each gets the phase's units, in the order the reader got them.
        let order = arrivals.map(\.unit)
        var allRead = true
        for stream in stalledStreams {
            var seen: [UInt64] = []
            for try await message in stream {
                if case .received(let unit)? = message.event { seen.append(unit.unitID) }
                if seen.count == units { break }
            }
            allRead = allRead && seen == order
        }
        if stalledCount > 0 { progress("\(label): the stalled subscribers read at last: \(allRead ? "every unit, in order" : "UNITS MISSING")") }
        for client in stalledClients { await client.close() }
        progress("\(label): done")
        return PhaseResult(growth: after - before, rate: Double(arrivals.count) / max(wall, 1e-9),
                           p50: Double(histogram.valueAtPercentile(50)) / 1000, p99: Double(histogram.valueAtPercentile(99)) / 1000,
                           received: arrivals.count, stalledReadAll: allRead)
    }
}

private func progress(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
