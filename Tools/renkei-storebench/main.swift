// renkei-storebench: durable appends through the storage protocol, for the side-by-side comparison with
// PostgreSQL and Redis (Tools/side-by-side). Each client appends in a loop, awaiting each acknowledgement:
// one upload = a ~10 KiB care-plan file stored as a blob, an event naming it, and `--puts` key-space
// entries at random keys (as a mailbox, an audit index and an idempotency key would add), in one write.
//
//   renkei-storebench --folder DIR --clients 16 --puts 3 --seconds 10    prints one line of JSON
//   renkei-storebench payloads --to DIR --count 64                       writes the payload files
//   renkei-storebench recovery --folder DIR --gib 1                      times recovery of 1 GiB of log
//   renkei-storebench scan --folder DIR                                  header scan of a million events
//   renkei-storebench uploads --folder DIR --callers 16 --seconds 10     upload commands, full domain path
//   renkei-storebench rebuild --folder DIR                               every projection rebuilt from the log
import ArgumentParser
import CarePlanStandard
import Foundation
import RenkeiCore
import RenkeiCrypto
import RenkeiHost
import RenkeiLog
import RenkeiModel
import RenkeiStore
import RenkeiWorkload
import Synchronization

/// ~10 KiB files from the standard-file generator, the same for every system measured.
func payloads(count: Int) -> [[UInt8]] {
    var files: [[UInt8]] = []
    var seed: UInt64 = 500_000
    while files.count < count {
        let kind = CarePlanGenerator.generatedKinds[files.count % CarePlanGenerator.generatedKinds.count]
        if let file = CarePlanGenerator(seed: seed).file(kind: kind, approximateByteCount: 10 << 10), file.bytes.count >= 8 << 10 {
            files.append(Array(file.bytes.prefix(10 << 10)))
        }
        seed += 1
    }
    return files
}

@main
struct StoreBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "renkei-storebench",
        abstract: "Durable appends through the storage protocol / 保存層への永続追記の計測",
        subcommands: [Append.self, Uploads.self, Rebuild.self, Payloads.self, Recovery.self, Fill.self, Scan.self],
        defaultSubcommand: Append.self
    )
}

struct Append: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "append", abstract: "Measure appends; prints one line of JSON.")

    @Option(help: "An empty or new data folder for the store.") var folder: String
    @Option(help: "Concurrent clients, each awaiting its acknowledgement.") var clients = 16
    @Option(help: "Key-space entries at random keys per append (0 to 3).") var puts = 0
    @Option(help: "How long to append, in seconds.") var seconds = 10.0
    @Option(help: "Seconds between checkpoints (the store's default: 1).") var checkpointInterval = 1.0
    @Option(name: .customLong("wal-mib"), help: "The write-ahead log's size in MiB (the store's default: 256).") var walMiB = 256
    @Option(help: "The zstd level for files (the store's default: 3).") var compressionLevel: Int32 = 3
    @Option(help: "Microseconds the writer waits for clients to join a group commit (the store's default).") var groupCommitWindow: Int?
    @Flag(help: "Then reopen the store and read everything back in order, each event with its file; adds replay_rate.") var replay = false

    func validate() throws {
        guard (1...1024).contains(clients) else { throw ValidationError("--clients: 1 to 1024") }
        guard (0...3).contains(puts) else { throw ValidationError("--puts: 0 to 3") }
        guard seconds > 0 && seconds <= 3600 else { throw ValidationError("--seconds: more than 0, at most 3600") }
    }

    func run() async throws {
        let spaces: [KeySpace] = try ["mailbox", "audit", "idempotency"].prefix(puts).map { try KeySpace($0) }
        var configuration = LMDBEventStore.Configuration()
        configuration.keySpaces = spaces
        configuration.checkpointInterval = .milliseconds(Int(checkpointInterval * 1000))
        configuration.writeAheadLogSize = walMiB << 20
        configuration.compressionLevel = compressionLevel
        if let groupCommitWindow { configuration.groupCommitWindow = .microseconds(groupCommitWindow) }
        let store = try LMDBEventStore(path: folder, configuration: configuration)
        let files = payloads(count: 64)
        let counter = Counter()
        let office = Actor.office(OfficeNumber(rawValue: "1310000001")!)
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(Int(seconds * 1000))
        let started = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<clients {
                group.addTask {
                    while clock.now < deadline {
                        let n = counter.next()
                        var file = files[n % files.count]
                        let stamp = Array(String(n).utf8)
                        file.replaceSubrange(7..<(7 + stamp.count), with: stamp)
                        let blob = try store.prepareBlob(file, kind: "UPPLAN", dictionaryID: nil)
                        let changes = spaces.map { space in
                            KeyChange.put(space, key: Array(SHA256.hash(Array("\(space.name) \(n)".utf8)).hex.utf8), value: blob.hash.bytes)
                        }
                        _ = try await store.commit(StoreWrite(
                            events: [NewEvent(kind: EventKind(rawValue: 7), body: Array("upload \(n) \(blob.hash.hex) \(file.count)".utf8), actor: office, requestID: .random())],
                            blobs: [blob],
                            changes: changes
                        ))
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = started.duration(to: clock.now)
        let appends = Int(store.latestSequence.rawValue)
        let statistics = store.writerStatistics
        await store.close()
        let wall = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        var replayed = ""
        if replay {
            let (events, bytes, seconds) = try await Self.replay(path: folder, configuration: configuration)
            replayed = #","replayed":\#(events),"replay_rate":\#(String(format: "%.1f", Double(events) / seconds)),"replay_mib_per_second":\#(String(format: "%.1f", Double(bytes) / 1_048_576 / seconds))"#
        }
        print(#"{"engine":"lmdb","clients":\#(clients),"puts":\#(puts),"appends":\#(appends),"seconds":\#(String(format: "%.3f", wall)),"rate":\#(String(format: "%.1f", Double(appends) / wall)),"commits":\#(statistics.commits),"checkpoints":\#(statistics.checkpoints)\#(replayed)}"#)
    }

    /// Every event in order through the storage protocol, each with its file (decompressed): what a replay of
    /// the log reads. Returns the events, the file bytes and the seconds it took.
    static func replay(path: String, configuration: LMDBEventStore.Configuration) async throws -> (Int, Int, Double) {
        let store = try LMDBEventStore(path: path, configuration: configuration)
        let started = ContinuousClock.now
        let (events, bytes) = try await store.read { snapshot in
            var events = 0, bytes = 0, next = SequenceNumber.first
            while true {
                let page = try await snapshot.events(from: next, limit: 1_000)
                guard let last = page.last else { break }
                for event in page {
                    // The body names the file: "upload N HASH SIZE".
                    let fields = event.body.split(separator: 0x20)
                    guard fields.count == 4, let hash = SHA256Digest(hex: String(decoding: fields[2], as: UTF8.self)),
                          let file = try await snapshot.blob(hash) else { throw ValidationError("event \(event.sequence) has no file") }
                    bytes += file.count
                }
                events += page.count
                next = last.sequence.next
            }
            return (events, bytes)
        }
        let elapsed = ContinuousClock.now - started
        await store.close()
        return (events, bytes, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }
}

struct Uploads: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uploads",
        abstract: "Measure upload commands through the domain (validation, signature, idempotency, durable commit, projections); prints one line of JSON."
    )

    @Option(help: "An empty or new data folder for the store.") var folder: String
    @Option(help: "Concurrent callers, each awaiting its receipt.") var callers = 16
    @Option(help: "How long to upload, in seconds.") var seconds = 10.0
    @Option(help: "The zstd level for files (the store's default: 3).") var compressionLevel: Int32 = 3
    @Option(help: "Seconds between checkpoints (the store's default: 1).") var checkpointInterval = 1.0
    @Option(help: "Microseconds the writer waits for callers to join a group commit (the platform's: 1000).") var groupCommitWindow: Int?

    func validate() throws {
        guard (1...1024).contains(callers) else { throw ValidationError("--callers: 1 to 1024") }
        guard seconds > 0 && seconds <= 3600 else { throw ValidationError("--seconds: more than 0, at most 3600") }
    }

    func run() async throws {
        var configuration = PlatformStore.lmdbConfiguration()
        configuration.compressionLevel = compressionLevel
        configuration.checkpointInterval = .milliseconds(Int(checkpointInterval * 1000))
        if let groupCommitWindow { configuration.groupCommitWindow = .microseconds(groupCommitWindow) }
        let store = try LMDBEventStore(path: folder, configuration: configuration)
        let workload = try await UploadWorkload(store: store, units: 600)
        let before = (workload.platform.statistics.totals, UploadWorkload.processCPU(), store.writerStatistics.commits)
        let clock = ContinuousClock()
        let started = clock.now
        let uploads = try await workload.run(until: started + .milliseconds(Int(seconds * 1000)), callers: callers)
        let elapsed = started.duration(to: clock.now)
        let after = (workload.platform.statistics.totals, UploadWorkload.processCPU(), store.writerStatistics.commits)
        await store.close()
        let wall = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let count = max(1, after.0.uploads - before.0.uploads)
        func micros(_ nanos: Int) -> String { String(format: "%.1f", Double(nanos) / 1000 / Double(count)) }
        print(#"{"engine":"lmdb","path":"domain","callers":\#(callers),"uploads":\#(uploads),"seconds":\#(String(format: "%.3f", wall)),"rate":\#(String(format: "%.1f", Double(uploads) / wall)),"cpu_us_per_upload":\#(micros(after.1 - before.1)),"validate_cpu_us":\#(micros(after.0.validateNanoseconds - before.0.validateNanoseconds)),"verify_cpu_us":\#(micros(after.0.verifyNanoseconds - before.0.verifyNanoseconds)),"decide_commit_wall_us":\#(micros(after.0.commitNanoseconds - before.0.commitNanoseconds)),"group_commits":\#(after.2 - before.2)}"#)
    }
}

struct Rebuild: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild", abstract: "Time a rebuild of every projection from a platform store's log; prints one line of JSON.")

    @Option(help: "A platform store's data folder (for example the domain benchmark's fixture).") var folder: String

    func run() async throws {
        var configuration = LMDBEventStore.Configuration()
        configuration.keySpaces = Platform.keySpaces
        let store = try LMDBEventStore(path: folder, configuration: configuration)
        let platform = try Platform(store: store, configuration: try UploadWorkload.platformConfiguration().1)
        let clock = ContinuousClock()
        let started = clock.now
        let view = try await platform.view(asOf: store.latestSequence)
        let elapsed = started.duration(to: clock.now)
        await store.close()
        let wall = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print(#"{"events":\#(view.through.rawValue),"seconds":\#(String(format: "%.3f", wall)),"rate":\#(String(format: "%.0f", Double(view.through.rawValue) / wall))}"#)
    }
}

/// The time recovery takes at open: a child process appends until `--gib` GiB of write-ahead log wait for
/// a checkpoint (none runs), then exits without closing the store — a crash, as far as the store can tell
/// (everything acknowledged is synced in the log) — and this process opens the folder and reports.
struct Recovery: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "recovery", abstract: "Time recovery of a write-ahead log left by a crash; prints JSON.")

    @Option(help: "A new data folder.") var folder: String
    @Option(help: "GiB of write-ahead log to leave to recovery (0.01 to 8).") var gib = 1.0

    func validate() throws {
        guard gib >= 0.01 && gib <= 8 else { throw ValidationError("--gib: 0.01 to 8") }
    }

    func run() async throws {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        child.arguments = ["fill", "--folder", folder, "--gib", String(gib)]
        try child.run()
        child.waitUntilExit()
        guard child.terminationStatus == 0 else { throw ValidationError("the filling process failed (\(child.terminationStatus))") }
        let started = ContinuousClock.now
        let store = try LMDBEventStore(path: folder, configuration: Fill.storeConfiguration(gib: gib))
        let opened = ContinuousClock.now - started
        let report = store.recovery
        let events = store.latestSequence.rawValue
        await store.close()
        func seconds(_ duration: Duration) -> String {
            String(format: "%.3f", Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
        }
        print(#"{"recoveredGroups":\#(report.groups),"recoveredBytes":\#(report.bytes),"recoverySeconds":\#(seconds(report.duration)),"openSeconds":\#(seconds(opened)),"events":\#(events)}"#)
    }
}

/// The child of `recovery`: appends until the log holds `--gib` GiB that no checkpoint applied, then exits.
struct Fill: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "fill", abstract: "(for recovery) Append, then exit without closing.", shouldDisplay: false)

    @Option var folder: String
    @Option var gib = 1.0

    /// A log large enough that a quarter of it is more than `gib`, and no checkpoint by time.
    static func storeConfiguration(gib: Double) throws -> LMDBEventStore.Configuration {
        var configuration = LMDBEventStore.Configuration()
        configuration.keySpaces = try ["mailbox", "audit", "idempotency"].map { try KeySpace($0) }
        configuration.writeAheadLogSize = (Int(gib * 4.4 * 1024) + 64) << 20
        configuration.checkpointInterval = .seconds(24 * 3600)
        return configuration
    }

    func run() async throws {
        let configuration = try Self.storeConfiguration(gib: gib)
        let store = try LMDBEventStore(path: folder, configuration: configuration)
        let files = payloads(count: 64)
        let counter = Counter()
        let target = UInt64(gib * Double(1 << 30))
        let office = Actor.office(OfficeNumber(rawValue: "1310000001")!)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<64 {
                group.addTask {
                    while store.writerStatistics.pendingLogBytes < target {
                        let n = counter.next()
                        var file = files[n % files.count]
                        let stamp = Array(String(n).utf8)
                        file.replaceSubrange(7..<(7 + stamp.count), with: stamp)
                        let blob = try store.prepareBlob(file, kind: "UPPLAN", dictionaryID: nil)
                        _ = try await store.commit(StoreWrite(
                            events: [NewEvent(kind: EventKind(rawValue: 7), body: Array("upload \(n) \(blob.hash.hex)".utf8), actor: office, requestID: .random())],
                            blobs: [blob],
                            changes: configuration.keySpaces.map { .put($0, key: Array("\($0.name) \(n)".utf8), value: blob.hash.bytes) }
                        ))
                    }
                }
            }
            try await group.waitForAll()
        }
        // Exit with the store open: nothing more reaches LMDB, as in a crash after the last acknowledgement.
        Foundation.exit(0)
    }
}

/// Catch-up reads: every envelope of a million-event log, in pages of 10,000 through the protocol, as a
/// subscriber catching up reads them; the median of five passes.
struct Scan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "scan", abstract: "Time a header scan of a million events; prints JSON.")

    @Option(help: "A new data folder.") var folder: String

    func run() async throws {
        let store = try LMDBEventStore(path: folder)
        for chunk in 0..<100 {
            let events = (0..<10_000).map { n in
                NewEvent(kind: EventKind(rawValue: UInt16(1 + n % 9)), body: Array("event \(chunk * 10_000 + n) office 1310000001".utf8), actor: .system, requestID: .none)
            }
            _ = try await store.commit(StoreWrite(events: events))
        }
        // Right after the writes, with checkpoints still moving them into LMDB; then from LMDB alone.
        let pending = try await Self.medianRate(store)
        await store.close()
        let reopened = try LMDBEventStore(path: folder)
        let checkpointed = try await Self.medianRate(reopened)
        await reopened.close()
        print(#"{"events":1000000,"envelopesPerSecond":\#(Int(checkpointed)),"whileCheckpointing":\#(Int(pending))}"#)
    }

    static func medianRate(_ store: LMDBEventStore) async throws -> Double {
        var rates: [Double] = []
        for _ in 0..<5 {
            let started = ContinuousClock.now
            let count = try await store.read { snapshot in
                var count = 0, next = SequenceNumber.first
                while true {
                    let page = try await snapshot.envelopes(from: next, limit: 10_000)
                    guard let last = page.last else { break }
                    count += page.count
                    next = last.sequence.next
                }
                return count
            }
            let elapsed = ContinuousClock.now - started
            rates.append(Double(count) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18))
        }
        return rates.sorted()[2]
    }
}

/// Numbers the uploads across clients.
final class Counter: Sendable {
    private let value = Atomic<Int>(0)
    func next() -> Int { value.add(1, ordering: .relaxed).newValue }
}

struct Payloads: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "payloads", abstract: "Write the ~10 KiB payload files payload-NN.csv.")

    @Option(help: "The folder to write them into.") var to: String
    @Option(help: "How many.") var count = 64

    func validate() throws {
        guard (1...1000).contains(count) else { throw ValidationError("--count: 1 to 1000") }
    }

    func run() async throws {
        try FileManager.default.createDirectory(atPath: to, withIntermediateDirectories: true)
        for (index, file) in payloads(count: count).enumerated() {
            try Data(file).write(to: URL(fileURLWithPath: to).appendingPathComponent(String(format: "payload-%02d.csv", index)))
        }
    }
}
