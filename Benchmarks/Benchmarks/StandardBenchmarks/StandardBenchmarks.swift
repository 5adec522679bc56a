// The standard's files on one core.
//
// - Validation throughput (issue target: at least 50 MB/s): each benchmark checks one generated file of about
//   16 MiB held in memory: MS932 decoding checks, CSV syntax, every field against its layout, and the rules of
//   its kind. MB/s = bytes / wall-clock time of one iteration.
// - `renkei check` over a month's folder (issue target: at least 10,000 files per second, and twice the files
//   in at most 2.2× the time): the folder holds the generated send units of 81 care-management offices of 3
//   users each, about 2,950 small files (~1.6 KB), as `renkei generate --seed 1 --offices 81 --users 3` writes
//   them; twice the files are two such months. Each iteration is the command's own library call,
//   `StandardChecker().check(CheckInput.files(inFolder:))`: listing, reading, every file check and every send
//   unit check. The ratio benchmark times both folders in one iteration, so the scaling is read directly.
import Benchmark
import CarePlanStandard
import Foundation
import Synchronization

let benchmarks: @Sendable () -> Void = {
    let size = 16 << 20
    for kind in [FileKind.usagePlan, .usageAnnex, .actual, .supplement, .plan1, .plan2] {
        guard let file = CarePlanGenerator(seed: 1).file(kind: kind, approximateByteCount: size) else { continue }
        let input = CheckInput(name: file.fileName, source: .bytes(file.bytes))
        let megabytes = Double(file.bytes.count) / 1_000_000
        Benchmark(
            "Validate \(kind) (\(Int(megabytes.rounded())) MB)",
            configuration: .init(metrics: [.wallClock, .throughput, .peakMemoryResident], timeUnits: .milliseconds,
                                 warmupIterations: 1, maxDuration: .seconds(8), maxIterations: 15)
        ) { benchmark in
            for _ in benchmark.scaledIterations {
                let result = StandardChecker().checkFile(input)
                precondition(result.errorCount == 0, "generated data should validate clean")
                blackHole(result)
            }
        }
    }

    for months in [1, 2] {
        Benchmark(
            "renkei check, \(months == 1 ? "a month" : "two months") of small files",
            configuration: .init(metrics: [.wallClock, MonthFolder.filesPerSecond, .peakMemoryResident],
                                 timeUnits: .milliseconds, warmupIterations: 1, maxDuration: .seconds(10), maxIterations: 20),
            closure: { benchmark in
                let folder = try MonthFolder.shared(months: months)
                let files = MonthFolder.check(folder, in: benchmark)
                benchmark.measurement(MonthFolder.filesPerSecond, files.perSecond)
            },
            setup: { _ = try MonthFolder.shared(months: months) },
            teardown: { MonthFolder.remove(months: months) }
        )
    }

    Benchmark(
        "renkei check, time for two months ÷ one month (×100)",
        configuration: .init(metrics: [MonthFolder.scaling], timeUnits: .milliseconds, warmupIterations: 1,
                             maxDuration: .seconds(10), maxIterations: 10),
        closure: { benchmark in
            let one = MonthFolder.check(try MonthFolder.shared(months: 1), in: nil)
            let two = MonthFolder.check(try MonthFolder.shared(months: 2), in: nil)
            precondition(two.count > one.count, "two months should hold more files than one")
            benchmark.measurement(MonthFolder.scaling, Int((two.seconds / one.seconds * 100).rounded()))
        },
        setup: { _ = try MonthFolder.shared(months: 1); _ = try MonthFolder.shared(months: 2) },
        teardown: { MonthFolder.remove(months: 1); MonthFolder.remove(months: 2) }
    )
}

/// Generated months of send units in temporary folders, written once per process (months 202506, 202507, …).
enum MonthFolder {
    /// Files checked per second, per iteration.
    static let filesPerSecond = BenchmarkMetric.custom("files/s", polarity: .prefersLarger, useScalingFactor: false)
    /// The time for two months over the time for one, ×100 (the target is at most 220).
    static let scaling = BenchmarkMetric.custom("2 months ÷ 1 month ×100", polarity: .prefersSmaller, useScalingFactor: false)

    private static let folders = Mutex<[Int: String]>([:])

    /// The folder holding `months` generated months: 81 care-management offices of 3 users each per month.
    static func shared(months: Int) throws -> String {
        try folders.withLock { folders in
            if let folder = folders[months] { return folder }
            let folder = FileManager.default.temporaryDirectory
                .appendingPathComponent("renkei-bench-\(months)-months-\(UUID().uuidString)").path
            for month in ["202506", "202507", "202508"].prefix(months) {
                _ = try GeneratedFileWriter.write(seed: 1, offices: 81, users: 3, month: month, to: folder)
            }
            folders[months] = folder
            return folder
        }
    }

    static func remove(months: Int) {
        folders.withLock { folders in
            if let folder = folders.removeValue(forKey: months) { try? FileManager.default.removeItem(atPath: folder) }
        }
    }

    /// Runs `renkei check`'s library call over `folder` (measured from listing to report when `benchmark` is given).
    static func check(_ folder: String, in benchmark: Benchmark?) -> (count: Int, seconds: Double, perSecond: Int) {
        let clock = ContinuousClock()
        let start = clock.now
        benchmark?.startMeasurement()
        let inputs: [CheckInput]
        do { inputs = try CheckInput.files(inFolder: folder) } catch { preconditionFailure("cannot list \(folder): \(error)") }
        let report = StandardChecker().check(inputs)
        benchmark?.stopMeasurement()
        let elapsed = clock.now - start
        precondition(report.errorCount == 0 && report.files.count == inputs.count, "generated months should check without errors")
        blackHole(report)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return (inputs.count, seconds, Int(Double(inputs.count) / seconds))
    }
}
