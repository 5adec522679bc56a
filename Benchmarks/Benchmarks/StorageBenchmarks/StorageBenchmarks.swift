// Storage engine benchmarks (issue 2). Run: `Tools/dev bench --target StorageBenchmarks` from the root.
//
// - Durable appends of records carrying 10 KiB care-plan files, 16 concurrent clients (as the peers were
//   measured) and 64: each append stores the file as a blob compressed with its kind's dictionary and a
//   record naming it, through the group-commit writer, synced to disk before it is acknowledged.
// - Sequential scan of record headers over a million-record log.
// - Compressed size of ≤ 16 KiB files: per-kind dictionaries vs plain zstd at the same level vs raw.
import Benchmark
import CarePlanStandard
import Foundation
import RenkeiCrypto
import RenkeiLog
import RenkeiModel
import RenkeiZstd
import Synchronization

let benchmarks: @Sendable () -> Void = {
    // 16 clients as the peers were measured; 64 as many offices uploading at once.
    for clients in [16, 64] {
        Benchmark(
            "Durable append of 10 KiB files, \(clients) clients",
            configuration: .init(
                metrics: [.throughput, .wallClock, .peakMemoryResident],
                timeUnits: .microseconds, warmupIterations: 1, scalingFactor: .kilo,
                maxDuration: .seconds(20), maxIterations: 20
            )
        ) { benchmark in
            let fixture = try await AppendFixture.shared()
            let total = benchmark.scaledIterations.count
            let before = fixture.log.writerStatistics
            benchmark.startMeasurement()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for client in 0..<clients {
                    group.addTask {
                        for _ in stride(from: client, to: total, by: clients) {
                            try await fixture.appendUpload()
                        }
                    }
                }
                try await group.waitForAll()
            }
            benchmark.stopMeasurement()
            let after = fixture.log.writerStatistics
            let commits = after.commits - before.commits
            print("\(clients) clients: \(total) appends in \(commits) durable commits (average batch \(total / max(1, commits)))")
        }
    }

    Benchmark(
        "Sequential scan of record headers, 1M records",
        configuration: .init(
            metrics: [.throughput, .wallClock], timeUnits: .nanoseconds, warmupIterations: 1,
            scalingFactor: .mega, maxDuration: .seconds(20), maxIterations: 20
        )
    ) { benchmark in
        let log = try await ScanFixture.shared()
        var count = 0
        var kinds = 0
        benchmark.startMeasurement()
        try log.read { snapshot in
            try snapshot.forEachHeader { _, header in
                count += 1
                kinds &+= Int(header.kind.rawValue)
                return true
            }
        }
        benchmark.stopMeasurement()
        precondition(count == benchmark.scaledIterations.count, "scanned \(count) records")
        blackHole(kinds)
    }

    Benchmark(
        "Compression of ≤16 KiB care-plan files (per-kind dictionary vs plain zstd)",
        configuration: .init(
            metrics: [
                .wallClock,
                .custom("raw ÷ dictionary ×100", polarity: .prefersLarger, useScalingFactor: false),
                .custom("plain ÷ dictionary ×100", polarity: .prefersLarger, useScalingFactor: false),
            ],
            timeUnits: .milliseconds, warmupIterations: 0, scalingFactor: .one, maxDuration: .seconds(10), maxIterations: 3
        )
    ) { benchmark in
        let corpus = try CompressionCorpus.shared()
        var raw = 0, plain = 0, withDictionary = 0
        for file in corpus.testFiles {
            raw += file.bytes.count
            plain += Zstd.compress(file.bytes, level: Zstd.defaultLevel).count
            withDictionary += Zstd.compress(file.bytes, level: Zstd.defaultLevel, dictionary: corpus.dictionaries[file.kind]).count
        }
        benchmark.measurement(.custom("raw ÷ dictionary ×100", polarity: .prefersLarger, useScalingFactor: false), raw * 100 / withDictionary)
        benchmark.measurement(.custom("plain ÷ dictionary ×100", polarity: .prefersLarger, useScalingFactor: false), plain * 100 / withDictionary)
        print("compression: \(corpus.testFiles.count) files, raw \(raw) B, plain zstd \(plain) B, with dictionaries \(withDictionary) B — raw/dict \(Double(raw) / Double(withDictionary)), plain/dict \(Double(plain) / Double(withDictionary))")
    }
}

/// Files of the kinds the generator makes, ≤ 16 KiB, and a dictionary per kind trained on other files.
final class CompressionCorpus: Sendable {
    let dictionaries: [FileKind: ZstdDictionary]
    let testFiles: [GeneratedFile]

    private static let instance = Mutex<CompressionCorpus?>(nil)

    static func shared() throws -> CompressionCorpus {
        try instance.withLock { cached in
            if let cached { return cached }
            let made = try CompressionCorpus()
            cached = made
            return made
        }
    }

    private init() throws {
        var dictionaries: [FileKind: ZstdDictionary] = [:]
        var testFiles: [GeneratedFile] = []
        for kind in CarePlanGenerator.generatedKinds {
            // Training and test files come from disjoint seeds: different users, offices and text.
            let samples = (0..<300).compactMap { n in
                CarePlanGenerator(seed: UInt64(100_000 + n)).file(kind: kind, approximateByteCount: 1024 + (n % 15) * 1024)?.bytes
            }
            dictionaries[kind] = try ZstdDictionary.train(samples: samples, capacity: 64 << 10)
            testFiles += (0..<40).compactMap { n in
                CarePlanGenerator(seed: UInt64(900_000 + n)).file(kind: kind, approximateByteCount: 1024 + (n % 15) * 1024)
            }.filter { $0.bytes.count <= 16 << 10 }
        }
        self.dictionaries = dictionaries
        self.testFiles = testFiles
    }
}

/// A log in a temporary folder with a dictionary per file kind installed, and a pool of ~10 KiB files.
final class AppendFixture: Sendable {
    let log: EventLog
    let pool: [(file: [UInt8], dictionaryID: UInt32)]
    private let counter = Atomic<Int>(0)

    private static let made = Task { try await AppendFixture() }
    static func shared() async throws -> AppendFixture { try await made.value }

    private init() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("renkei-bench-append-\(UUID().uuidString)").path
        log = try EventLog(path: folder)
        let corpus = try CompressionCorpus.shared()
        for dictionary in corpus.dictionaries.values {
            _ = try await log.write { try $0.installDictionary(dictionary) }
        }
        var pool: [(file: [UInt8], dictionaryID: UInt32)] = []
        for (index, kind) in CarePlanGenerator.generatedKinds.enumerated() {
            for n in 0..<32 {
                guard let file = CarePlanGenerator(seed: UInt64(500_000 + index * 100 + n)).file(kind: kind, approximateByteCount: 10 << 10) else { continue }
                pool.append((Array(file.bytes.prefix(10 << 10)), corpus.dictionaries[kind]!.id))
            }
        }
        self.pool = pool
    }

    /// One upload: a distinct 10 KiB file (a pool file with a counter stamped in) stored as a blob, and a
    /// record naming it, acknowledged once durable.
    func appendUpload() async throws {
        let n = counter.add(1, ordering: .relaxed).newValue
        var (file, dictionaryID) = pool[n % pool.count]
        let stamp = Array(String(n).utf8)
        file.replaceSubrange(7..<(7 + stamp.count), with: stamp)
        let blob = try log.prepareBlob(file, dictionaryID: dictionaryID)
        let body = Array("upload \(n) \(blob.hash.hex) \(file.count) office 1310000001 → 1310000002".utf8)
        let record = try log.prepare(kind: EventKind(rawValue: 7), body: body)
        _ = try await log.write { txn in
            try txn.storeBlob(blob)
            return try txn.append(record)
        }
    }
}

/// A log of one million small records, for header scans.
enum ScanFixture {
    private static let made = Task { () async throws -> EventLog in
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("renkei-bench-scan-\(UUID().uuidString)").path
        var configuration = EventLog.Configuration()
        configuration.environment.durability = .noSync // filling the fixture quickly; the scan is what is measured
        let log = try EventLog(path: folder, configuration: configuration)
        for chunk in 0..<100 {
            let records = try (0..<10_000).map { n in
                try log.prepare(kind: EventKind(rawValue: UInt16(1 + n % 9)), body: Array("event \(chunk * 10_000 + n) office 1310000001".utf8))
            }
            _ = try await log.write { txn in for record in records { try txn.append(record) } }
        }
        return log
    }

    static func shared() async throws -> EventLog { try await made.value }
}
