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
import RenkeiStore
import RenkeiZstd
import Synchronization

let benchmarks: @Sendable () -> Void = {
    // Through the storage protocol. 16 clients as the peers were measured; 64 as many offices uploading at
    // once; 1 for a single caller's latency.
    for clients in [1, 16, 64] {
        Benchmark(
            "Durable append of 10 KiB files, \(clients) clients",
            configuration: .init(
                metrics: [.throughput, .wallClock, .peakMemoryResident],
                timeUnits: .microseconds, warmupIterations: 1, scalingFactor: .kilo,
                maxDuration: .seconds(20), maxIterations: 20
            )
        ) { benchmark in
            let fixture = try await AppendFixture.lmdb()
            let before = fixture.statistics
            benchmark.startMeasurement()
            try await fixture.run(total: benchmark.scaledIterations.count, clients: clients)
            benchmark.stopMeasurement()
            let after = fixture.statistics
            let commits = after.commits - before.commits
            print("\(clients) clients: \(benchmark.scaledIterations.count) appends in \(commits) durable commits")
        }
    }

    Benchmark(
        "In-memory store append of 10 KiB files, 16 clients (the protocol's own ceiling)",
        configuration: .init(
            metrics: [.throughput, .wallClock], timeUnits: .microseconds, warmupIterations: 1,
            scalingFactor: .kilo, maxDuration: .seconds(10), maxIterations: 20
        )
    ) { benchmark in
        let fixture = try await AppendFixture.memory()
        benchmark.startMeasurement()
        try await fixture.run(total: benchmark.scaledIterations.count, clients: 16)
        benchmark.stopMeasurement()
    }

    Benchmark(
        "Sequential scan of record headers, 1M records",
        configuration: .init(
            metrics: [.throughput, .wallClock], timeUnits: .nanoseconds, warmupIterations: 1,
            scalingFactor: .mega, maxDuration: .seconds(20), maxIterations: 20
        )
    ) { benchmark in
        let store = try await ScanFixture.shared()
        benchmark.startMeasurement()
        let (count, kinds) = try await store.read { snapshot in
            var count = 0, kinds = 0, next = SequenceNumber.first
            while true {
                let page = try await snapshot.envelopes(from: next, limit: 10_000)
                guard let last = page.last else { break }
                for envelope in page { kinds &+= Int(envelope.kind.rawValue) }
                count += page.count
                next = last.sequence.next
            }
            return (count, kinds)
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

/// A store with a dictionary per file kind installed, and a pool of ~10 KiB files.
final class AppendFixture: Sendable {
    let store: any EventStore
    let pool: [(file: [UInt8], kind: String, dictionaryID: UInt32?)]
    private let counter = Atomic<Int>(0)

    private static let lmdbFixture = Task { try await AppendFixture(lmdb: true) }
    private static let memoryFixture = Task { try await AppendFixture(lmdb: false) }
    static func lmdb() async throws -> AppendFixture { try await lmdbFixture.value }
    static func memory() async throws -> AppendFixture { try await memoryFixture.value }

    var statistics: WriterStatistics { (store as? LMDBEventStore)?.writerStatistics ?? WriterStatistics() }

    private init(lmdb: Bool) async throws {
        if lmdb {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("renkei-bench-append-\(UUID().uuidString)").path
            store = try LMDBEventStore(path: folder)
        } else {
            store = InMemoryEventStore()
        }
        let corpus = try CompressionCorpus.shared()
        _ = try await store.commit(StoreWrite(dictionaries: corpus.dictionaries.values.map(\.bytes)))
        var pool: [(file: [UInt8], kind: String, dictionaryID: UInt32?)] = []
        for (index, kind) in CarePlanGenerator.generatedKinds.enumerated() {
            for n in 0..<32 {
                guard let file = CarePlanGenerator(seed: UInt64(500_000 + index * 100 + n)).file(kind: kind, approximateByteCount: 10 << 10) else { continue }
                pool.append((Array(file.bytes.prefix(10 << 10)), "\(kind)", corpus.dictionaries[kind]!.id))
            }
        }
        self.pool = pool
    }

    /// `total` uploads by `clients` concurrent callers, each awaiting its acknowledgement.
    func run(total: Int, clients: Int) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for client in 0..<clients {
                group.addTask {
                    for _ in stride(from: client, to: total, by: clients) { try await self.appendUpload() }
                }
            }
            try await group.waitForAll()
        }
    }

    /// One upload: a distinct 10 KiB file (a pool file with a counter stamped in) stored as a blob, and an
    /// event naming it, acknowledged once durable.
    func appendUpload() async throws {
        let n = counter.add(1, ordering: .relaxed).newValue
        var (file, kind, dictionaryID) = pool[n % pool.count]
        let stamp = Array(String(n).utf8)
        file.replaceSubrange(7..<(7 + stamp.count), with: stamp)
        let blob = try store.prepareBlob(file, kind: String(kind.prefix(32)), dictionaryID: dictionaryID)
        let body = Array("upload \(n) \(blob.hash.hex) \(file.count) office 1310000001 → 1310000002".utf8)
        _ = try await store.commit(StoreWrite(
            events: [NewEvent(kind: EventKind(rawValue: 7), body: body, actor: .office(OfficeNumber(rawValue: "1310000001")!), requestID: .random())],
            blobs: [blob]
        ))
    }
}

/// A store of one million small events, for header scans: written, then closed and reopened, so the scan
/// reads LMDB with no checkpoint running beside it.
enum ScanFixture {
    private static let made = Task { () async throws -> LMDBEventStore in
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("renkei-bench-scan-\(UUID().uuidString)").path
        let writing = try LMDBEventStore(path: folder)
        for chunk in 0..<100 {
            let events = (0..<10_000).map { n in
                NewEvent(kind: EventKind(rawValue: UInt16(1 + n % 9)), body: Array("event \(chunk * 10_000 + n) office 1310000001".utf8), actor: .system, requestID: .none)
            }
            _ = try await writing.commit(StoreWrite(events: events))
        }
        await writing.close()
        return try LMDBEventStore(path: folder)
    }

    static func shared() async throws -> LMDBEventStore { try await made.value }
}
