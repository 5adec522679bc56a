// Validation throughput of the standard's MS932 CSV files on one core (issue target: at least 50 MB/s).
// Each benchmark checks one generated file of about 16 MiB held in memory: MS932 decoding checks, CSV syntax,
// every field against its layout, and the rules of its kind. MB/s = bytes / wall-clock time of one iteration.
import Benchmark
import CarePlanStandard

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
}
