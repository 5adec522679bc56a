// The domain's benchmarks (issue 13). Run: `Tools/dev bench --target DomainBenchmarks` from the root.
//
// - Rebuild of every projection from a log of 1,000,000 events on the LMDB store (target ≥ 200,000 events
//   per second): registrations, licences and certificates of 200 offices, then uploads (three files each,
//   with a signature of CMS size), downloads, withdrawals and refused attempts, as month-end traffic has them.
// - Upload commands in-process through the full path — validation with CarePlanStandard, the CMS signature
//   (EC P-256) and its chain, idempotency, the durable commit and the projections — 16 concurrent callers,
//   10 KiB 実績 units; reported: uploads per second and the CPU time per upload, split by stage. Its ratio to
//   PostgreSQL comes from Tools/side-by-side, which runs the same path (`renkei-storebench uploads`).
import Benchmark
import CarePlanStandard
import Foundation
import RenkeiCore
import RenkeiCrypto
import RenkeiHost
import RenkeiLog
import RenkeiModel
import RenkeiStore
import RenkeiWorkload

let benchmarks: @Sendable () -> Void = {
    Benchmark(
        "Rebuild of every projection from 1M events (LMDB)",
        configuration: .init(
            metrics: [.throughput, .wallClock, .peakMemoryResident], timeUnits: .nanoseconds, warmupIterations: 0,
            scalingFactor: .mega, maxDuration: .seconds(60), maxIterations: 3
        )
    ) { benchmark in
        let platform = try await RebuildFixture.shared()
        benchmark.startMeasurement()
        let started = ContinuousClock.now
        let view = try await withTaskExecutorPreference(RebuildFixture.threads) {
            try await platform.view(asOf: SequenceNumber(UInt64(RebuildFixture.events)))
        }
        benchmark.stopMeasurement()
        let seconds = Double((ContinuousClock.now - started).components.attoseconds) / 1e18 + Double((ContinuousClock.now - started).components.seconds)
        print("rebuild: \(view.through) events in \(String(format: "%.2f", seconds)) s, \(Int(Double(view.through.rawValue) / seconds)) events/s")
        precondition(view.through.rawValue == UInt64(benchmark.scaledIterations.count), "rebuilt through \(view.through)")
        blackHole(view)
    }

    let perUpload = BenchmarkMetric.custom("CPU µs per upload", polarity: .prefersSmaller, useScalingFactor: false)
    let validate = BenchmarkMetric.custom("validate CPU µs", polarity: .prefersSmaller, useScalingFactor: false)
    let verify = BenchmarkMetric.custom("verify CPU µs", polarity: .prefersSmaller, useScalingFactor: false)
    let commit = BenchmarkMetric.custom("decide+commit wall µs", polarity: .prefersSmaller, useScalingFactor: false)
    Benchmark(
        "Upload commands, full path, 16 callers, 10 KiB units",
        configuration: .init(
            metrics: [.throughput, .wallClock, perUpload, validate, verify, commit], timeUnits: .microseconds,
            warmupIterations: 1, scalingFactor: .kilo, maxDuration: .seconds(20), maxIterations: 10
        )
    ) { benchmark in
        let load = try await UploadFixture.shared()
        let before = (load.platform.statistics.totals, UploadWorkload.processCPU())
        benchmark.startMeasurement()
        try await load.run(total: benchmark.scaledIterations.count, callers: 16)
        benchmark.stopMeasurement()
        let after = (load.platform.statistics.totals, UploadWorkload.processCPU())
        let count = after.0.uploads - before.0.uploads
        benchmark.measurement(perUpload, (after.1 - before.1) / 1000 / max(1, count))
        benchmark.measurement(validate, (after.0.validateNanoseconds - before.0.validateNanoseconds) / 1000 / max(1, count))
        benchmark.measurement(verify, (after.0.verifyNanoseconds - before.0.verifyNanoseconds) / 1000 / max(1, count))
        benchmark.measurement(commit, (after.0.commitNanoseconds - before.0.commitNanoseconds) / 1000 / max(1, count))
    }
}

/// A platform over an LMDB store holding one million events, written once per machine (into the temporary
/// folder, reused by later runs), then reopened so no checkpoint runs beside the rebuild.
enum RebuildFixture {
    static let events = 1_000_000
    /// package-benchmark waits for an async benchmark by blocking a thread of Swift's cooperative pool (a
    /// semaphore in `Benchmark.runAsync`), which on two cores would leave the rebuild's lanes one thread; the
    /// rebuild runs on threads of its own instead, as many as the pool has, as it does in `renkei-admin`.
    static let threads = DedicatedThreads(count: ProcessInfo.processInfo.activeProcessorCount)
    private static let made = Task { () async throws -> Platform in
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("renkei-bench-rebuild-v4").path
        var configuration = LMDBEventStore.Configuration()
        configuration.keySpaces = Platform.keySpaces
        if let existing = try? LMDBEventStore(path: folder, configuration: configuration), existing.latestSequence.rawValue == UInt64(events) {
            return try Platform(store: existing, configuration: try UploadWorkload.platformConfiguration().1)
        }
        try? FileManager.default.removeItem(atPath: folder)
        let writing = try LMDBEventStore(path: folder, configuration: configuration)
        try await RebuildTraffic.write(events: events, to: writing)
        await writing.close()
        return try Platform(store: try LMDBEventStore(path: folder, configuration: configuration), configuration: try UploadWorkload.platformConfiguration().1)
    }

    static func shared() async throws -> Platform { try await made.value }
}

/// Month-end traffic as events (written straight to the log: the rebuild reads events, however they came).
enum RebuildTraffic {
    static func write(events total: Int, to store: any EventStore) async throws {
        let offices = (0..<200).map { String(1_310_000_000 + $0) }
        var batch: [NewEvent] = []
        var next: UInt64 = 1
        var pending: [(unit: UInt64, recipient: String, sender: String)] = []
        var downloadedUpTo = 0  // pending[..<downloadedUpTo] are downloaded (a queue without moving the array)
        var random = SystemRandomNumberGenerator()
        let signature = (0..<1300).map { _ in UInt8.random(in: 0...255, using: &random) }
        func add(_ event: DomainEvent, _ actor: Actor) throws {
            batch.append(NewEvent(kind: event.kind, body: try event.body(), actor: actor, requestID: .random()))
            next += 1
        }
        func flush() async throws {
            _ = try await store.commit(StoreWrite(events: batch))
            batch.removeAll(keepingCapacity: true)
        }
        let operatorActor = Actor.operator("operator")
        for (index, office) in offices.enumerated() {
            var requested = PBRegistrationRequested()
            requested.officeNumber = office
            requested.name = "事業所\(index)"
            requested.serviceKinds = [index % 4 == 0 ? "43" : "11"]
            requested.prefecture = UInt32(1 + index % 47)
            requested.billingLoginID = "L\(office)"
            try add(.registrationRequested(requested), .office(OfficeNumber(rawValue: office)!))
            var approved = PBRegistrationApproved()
            approved.officeNumber = office
            try add(.registrationApproved(approved), operatorActor)
            var license = PBLicenseActivated()
            license.officeNumber = office
            license.periodStart.yyyymmdd = 20270401
            license.periodEnd.yyyymmdd = 20280401
            license.feeYen = 21_000
            license.settlement = .benefitOffset
            try add(.licenseActivated(license), operatorActor)
            var certificate = PBCertificateIssued()
            certificate.serial = String(format: "%016x", index + 1)
            certificate.officeNumber = office
            certificate.role = "office"
            certificate.notAfterMicros = 1_900_000_000_000_000
            try add(.certificateIssued(certificate), operatorActor)
        }
        while Int(next) <= total {
            let roll = Int(next % 10)
            if roll < 5 || downloadedUpTo == pending.count {
                let sender = offices[Int(next) % offices.count], recipient = offices[(Int(next) * 7 + 3) % offices.count]
                var upload = PBSendUnitUploaded()
                upload.sender = sender
                upload.recipient = recipient == sender ? offices[0] : recipient
                upload.unitType = .plan
                upload.serviceMonth = "202705"
                upload.unitNumber = "20270425103000"
                upload.files = ["UPPLAN", "UPSIKYU", "UPHOSOKU"].map { kind in
                    var file = PBFileEntry()
                    file.kind = kind
                    file.name = "\(kind)_202705_\(sender)_43_\(upload.recipient)_11_20270425103000.CSV"
                    file.size = 10_240
                    file.sha256 = Data((0..<32).map { _ in UInt8.random(in: 0...255, using: &random) })
                    return file
                }
                upload.signatureDer = Data(signature)
                upload.signerSerial = "0000000000000001"
                upload.idempotencyKey = "key-\(next)"
                upload.definitionID = "KYOTAKU_USAGE"
                upload.senderPrefecture = UInt32(1 + Int(next) % 47)
                upload.recipientPrefecture = 13
                upload.manifestSha256 = Data((0..<32).map { _ in UInt8.random(in: 0...255, using: &random) })
                pending.append((next, upload.recipient, sender))
                try add(.sendUnitUploaded(upload), .office(OfficeNumber(rawValue: sender)!))
            } else if roll < 9 {
                let (unit, recipient, sender) = pending[downloadedUpTo]
                downloadedUpTo += 1
                var downloaded = PBSendUnitDownloaded()
                downloaded.unit = unit
                downloaded.recipient = recipient
                downloaded.sender = sender
                try add(.sendUnitDownloaded(downloaded), .office(OfficeNumber(rawValue: recipient)!))
            } else {
                var refused = PBSendUnitRefused()
                refused.sender = offices[Int(next) % offices.count]
                refused.recipient = offices[0]
                refused.code = 1008
                refused.reason = "3 errors: UPPLAN…CSV:12:7 FLD-1 …"
                try add(.sendUnitRefused(refused), .office(OfficeNumber(rawValue: refused.sender)!))
            }
            if batch.count == 5_000 { try await flush() }
        }
        if !batch.isEmpty { try await flush() }
    }
}

/// The upload workload on an LMDB store in a fresh temporary folder.
enum UploadFixture {
    private static let made = Task { () async throws -> UploadWorkload in
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("renkei-bench-upload-\(UUID().uuidString)").path
        return try await UploadWorkload(store: try LMDBEventStore(path: folder, configuration: PlatformStore.lmdbConfiguration()))
    }

    static func shared() async throws -> UploadWorkload { try await made.value }
}

/// A task executor on threads of its own, taking jobs first come, first served.
final class DedicatedThreads: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var next = 0

    init(count: Int) {
        for number in 0 ..< count {
            let thread = Thread { self.run() }
            thread.name = "benchmark-executor-\(number)"
            thread.start()
        }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while next == jobs.count { condition.wait() }
            let job = jobs[next]
            next += 1
            if next == jobs.count { (jobs, next) = ([], 0) }
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
