import ArgumentParser
import CarePlanStandard
import Foundation
import Histogram
import RenkeiAPI
import RenkeiClient
import RenkeiModel
import Synchronization

// MARK: - Month-end traffic

/// `renkei-load month`: the platform through month ends as offices live them. The standard's generator makes
/// `--worlds` care-management offices, each with the service offices its users are served by, and their send
/// units for `--months` months; every office is registered, approved, licensed and certified through the API,
/// subscribes to its mailbox, and downloads and acknowledges each unit the moment it arrives. Each month, the
/// care managers send their 予定 (第1〜3表 and 第6・7表 units) at once — the burst of a month's last days — and
/// withdraw a few of them at once (some too late: already downloaded); then the service offices send their 実績
/// back at once — the burst of the next month's first days. Every operation is timed into an HdrHistogram; a
/// progress line goes to standard error each second; one line of JSON at the end gives each operation's count,
/// rate and latency percentiles, and the books: every unit sent was delivered to its recipient and downloaded,
/// or withdrawn. Exits 1 when they do not balance.
struct Month: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "month", abstract: "Month-end 予定 and 実績 bursts between many offices over TLS.")
    @Option(help: "Care-management offices (each with its service offices).") var worlds = 4
    @Option(help: "Months of traffic.") var months = 2
    @Option(help: "Users per care-management office.") var users = 40
    @Option(help: "Percent of 予定 units their sender withdraws at once.") var withdrawPercent = 5
    @Option(help: "Seed of the offices, users and withdrawals.") var seed: UInt64 = 2026
    @Option(help: "Seconds to wait, after the last send, for every unit to be downloaded.") var settle = 120.0

    func run() async throws {
        let platform = try await LoadPlatform(units: 1)
        // The traffic, month by month; offices by number.
        var traffic: [(plans: [GeneratedSendUnit], actuals: [GeneratedSendUnit])] = []
        var kinds: [String: ServiceKindCode] = [:]
        var month = YearMonth(year: 2026, month: 4)!
        for _ in 0..<months {
            var plans: [GeneratedSendUnit] = [], actuals: [GeneratedSendUnit] = []
            for world in 0..<worlds {
                for unit in CarePlanGenerator(seed: seed &+ UInt64(world), month: month, userCount: users).sendUnits() {
                    let name = unit.files[0].name
                    kinds[name.sender.rawValue] = name.senderKind ?? .careManagement
                    kinds[name.recipient.rawValue] = name.recipientKind ?? .careManagement
                    if unit.definitionID == "SERVICE_ACTUAL" { actuals.append(unit) } else { plans.append(unit) }
                }
            }
            traffic.append((plans, actuals))
            month = month.next ?? month
        }
        let book = MonthBook()
        let started = ContinuousClock.now
        var offices: [String: RenkeiClient] = [:]
        for (number, kind) in kinds.sorted(by: { $0.key < $1.key }) {
            offices[number] = try platform.client(try await platform.enrol(number, kind: kind))
        }
        let enrolSeconds = (ContinuousClock.now - started) / .seconds(1)

        // Every office subscribed from now on, downloading and acknowledging what arrives.
        let latest = try await platform.operatorClient.stats().latestSequence
        var subscribers: [Task<Void, Never>] = []
        for (number, client) in offices {
            subscribers.append(Task {
                do {
                    for try await message in client.subscribe(after: latest) {
                        guard case .received(let unit)? = message.event else { continue }
                        book.delivered(unit, to: number)
                        let start = ContinuousClock.now
                        do {
                            _ = try await client.downloadUnit(unit.unitID)
                            book.record("download", since: start)
                            let acknowledging = ContinuousClock.now
                            try await client.acknowledgeDownload(unit: unit.unitID)
                            book.record("acknowledge", since: acknowledging)
                            book.count(\.downloaded)
                        } catch {
                            // Withdrawn between its arrival and the download: the sender's right, and counted.
                            if (error as? RenkeiClientError)?.code == 1017 { book.count(\.withdrawnBeforeDownload) } else { book.failed("download \(unit.unitID): \(error)") }
                        }
                    }
                } catch {
                    book.failed("subscription of \(number): \(error)")
                }
            })
        }

        let progress = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                FileHandle.standardError.write(Data((book.progress(since: started) + "\n").utf8))
            }
        }
        var random = SplitMix64(seed: seed)
        for (index, month) in traffic.enumerated() {
            // The last days of a month: every 予定 at once; a few withdrawn straight after.
            let withdrawals = Set(month.plans.indices.filter { _ in random.next() % 100 < UInt64(withdrawPercent) })
            try await Self.burst(month.plans, offices: offices, operation: "send 予定", book: book, withdrawing: withdrawals)
            // The first days of the next: every 実績 back.
            try await Self.burst(month.actuals, offices: offices, operation: "send 実績", book: book, withdrawing: [])
            FileHandle.standardError.write(Data("month \(index + 1)/\(traffic.count) sent: \(book.progress(since: started))\n".utf8))
        }
        // Until every unit sent is downloaded or withdrawn.
        let deadline = ContinuousClock.now + .seconds(settle)
        while !book.balanced, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
        progress.cancel()
        let wall = (ContinuousClock.now - started) / .seconds(1)
        for task in subscribers { task.cancel() }
        for client in offices.values { await client.close() }
        await platform.stop()
        emit(book.summary(offices: offices.count, enrolSeconds: enrolSeconds, seconds: wall))
        guard book.balanced, book.failures.withLock({ $0.isEmpty }) else {
            FileHandle.standardError.write(Data("the books do not balance: \(book.progress(since: started)); \(book.failures.withLock { $0.prefix(5) })\n".utf8))
            throw ExitCode(1)
        }
    }

    /// Sends `units` all at once (each sender's units one after another on its connection, the senders side by
    /// side), withdrawing those whose index is in `withdrawing` as soon as they are acknowledged.
    static func burst(_ units: [GeneratedSendUnit], offices: [String: RenkeiClient], operation: String, book: MonthBook,
                      withdrawing: Set<Int>) async throws {
        let bySender = Dictionary(grouping: units.indices) { units[$0].files[0].name.sender.rawValue }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (sender, indices) in bySender {
                guard let client = offices[sender] else { continue }
                group.addTask {
                    for index in indices {
                        let unit = units[index]
                        let name = unit.files[0].name
                        let start = ContinuousClock.now
                        book.sending(name.sender.rawValue, name.recipient.rawValue, unit.serialText, at: start)
                        let receipt = try await client.send(unit.files.map { OutgoingFile(name: $0.fileName, bytes: $0.bytes) },
                                                            to: name.recipient.rawValue, idempotencyKey: "\(name.sender)-\(unit.serialText)")
                        book.record(operation, since: start)
                        book.count(\.sent)
                        book.counts.withLock { $0.bytes += unit.files.reduce(0) { $0 + $1.bytes.count } }
                        guard withdrawing.contains(index) else { continue }
                        let asked = ContinuousClock.now
                        do {
                            _ = try await client.withdraw(unit: receipt.unitID, reason: "負荷試験: 送信先の誤り")
                            book.record("withdraw", since: asked)
                            book.count(\.withdrawn)
                        } catch {
                            // Too late: the recipient downloaded it first (1015).
                            if (error as? RenkeiClientError)?.code == 1015 { book.count(\.withdrawalsTooLate) } else { book.failed("withdraw \(receipt.unitID): \(error)") }
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}

/// The counts, the times and the latency histograms of a month run, shared by every task.
final class MonthBook: Sendable {
    struct Counts {
        var sent = 0, bytes = 0, delivered = 0, downloaded = 0, withdrawn = 0, withdrawnBeforeDownload = 0, withdrawalsTooLate = 0
    }

    let counts = Mutex(Counts())
    let histograms = Mutex<[String: Histogram<UInt64>]>([:])
    let sentAt = Mutex<[String: ContinuousClock.Instant]>([:])
    let failures = Mutex<[String]>([])

    func count(_ field: WritableKeyPath<Counts, Int>) { counts.withLock { $0[keyPath: field] += 1 } }

    func failed(_ text: String) { failures.withLock { $0.append(text) } }

    /// Records the time since `start` (microseconds) under `operation`.
    func record(_ operation: String, since start: ContinuousClock.Instant) {
        let micros = UInt64(max(0, (ContinuousClock.now - start) / .microseconds(1)))
        histograms.withLock { all in
            var histogram = all[operation] ?? Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
            histogram.record(micros)
            all[operation] = histogram
        }
    }

    func sending(_ sender: String, _ recipient: String, _ serial: String, at start: ContinuousClock.Instant) {
        sentAt.withLock { $0["\(sender)/\(recipient)/\(serial)"] = start }
    }

    /// A unit reached its recipient's subscription: the time from the start of its send.
    func delivered(_ unit: Renkei_V1_UnitSummary, to office: String) {
        count(\.delivered)
        if let start = sentAt.withLock({ $0["\(unit.sender)/\(office)/\(unit.unitNumber)"] }) { record("send → delivery", since: start) }
    }

    /// Every unit sent is downloaded, or was withdrawn (before or after it arrived).
    var balanced: Bool {
        counts.withLock { $0.sent > 0 && $0.downloaded + $0.withdrawn >= $0.sent && $0.delivered >= $0.sent }
    }

    func progress(since start: ContinuousClock.Instant) -> String {
        let seconds = max(0.001, (ContinuousClock.now - start) / .seconds(1))
        let c = counts.withLock { $0 }
        return String(format: "%.0f s: sent %d (%.0f/s), delivered %d, downloaded %d, withdrawn %d (%d too late)", seconds, c.sent,
                      Double(c.sent) / seconds, c.delivered, c.downloaded, c.withdrawn, c.withdrawalsTooLate)
    }

    func summary(offices: Int, enrolSeconds: Double, seconds: Double) -> String {
        let c = counts.withLock { $0 }
        let operations = histograms.withLock { $0 }.sorted { $0.key < $1.key }.map { name, h in
            "\"\(name)\":{\"count\":\(h.totalCount),\"p50_ms\":\(Self.ms(h.valueAtPercentile(50))),\"p99_ms\":\(Self.ms(h.valueAtPercentile(99))),"
                + "\"p999_ms\":\(Self.ms(h.valueAtPercentile(99.9))),\"max_ms\":\(Self.ms(h.max))}"
        }
        return "{\"offices\":\(offices),\"enrol_seconds\":\(String(format: "%.1f", enrolSeconds)),\"seconds\":\(String(format: "%.1f", seconds)),\"sent\":\(c.sent),\"delivered\":\(c.delivered),"
            + "\"downloaded\":\(c.downloaded),\"withdrawn\":\(c.withdrawn),\"withdrawn_before_download\":\(c.withdrawnBeforeDownload),"
            + "\"withdrawals_too_late\":\(c.withdrawalsTooLate),\"failures\":\(failures.withLock { $0.count }),"
            + "\"mib_sent\":\(String(format: "%.1f", Double(c.bytes) / 1_048_576)),\"sent_per_second\":\(String(format: "%.1f", Double(c.sent) / max(0.001, seconds))),\"operations\":{\(operations.joined(separator: ","))}}"
    }

    static func ms(_ micros: UInt64) -> String { String(format: "%.2f", Double(micros) / 1000) }
}
