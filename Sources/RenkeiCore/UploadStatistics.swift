import Glibc
import Synchronization

/// Where uploads spend their time, summed over every upload that passed the checks needing no store: the CPU
/// time of the checks that need no store (hashing, names, the standard's rules) and of the signature
/// check, on the caller's thread, and the wall time of deciding and committing (mostly waiting for the
/// durable group commit).
///
/// The two CPU times are measured on one upload in `timingInterval` and scaled to all: reading a thread's
/// CPU clock is a system call (about a microsecond here), and timing every upload cost 1 % of its CPU.
public final class UploadStatistics: Sendable {
    /// One upload in this many has its CPU stages timed.
    static let timingInterval = 8
    private let started = Atomic<Int>(0)
    private let uploads = Atomic<Int>(0)
    private let timed = Atomic<Int>(0)
    private let validate = Atomic<Int>(0)
    private let verify = Atomic<Int>(0)
    private let commit = Atomic<Int>(0)

    init() {}

    /// A summary.
    public struct Totals: Hashable, Sendable {
        /// Uploads that passed the checks needing no store (repeats included).
        public let uploads: Int
        /// CPU nanoseconds in validation: hashing, the manifest, file names, the standard's rules (estimated
        /// from the uploads timed).
        public let validateNanoseconds: Int
        /// CPU nanoseconds verifying the CMS signature and its chain (estimated from the uploads timed).
        public let verifyNanoseconds: Int
        /// Wall nanoseconds deciding and awaiting the durable commit.
        public let commitNanoseconds: Int
    }

    /// The totals so far.
    public var totals: Totals {
        let uploads = uploads.load(ordering: .relaxed)
        let timed = timed.load(ordering: .relaxed)
        func scaled(_ nanoseconds: Int) -> Int { timed == 0 ? 0 : Int(Double(nanoseconds) * Double(uploads) / Double(timed)) }
        return Totals(uploads: uploads, validateNanoseconds: scaled(validate.load(ordering: .relaxed)),
                      verifyNanoseconds: scaled(verify.load(ordering: .relaxed)), commitNanoseconds: commit.load(ordering: .relaxed))
    }

    /// Whether the upload starting now has its CPU stages timed.
    func timesNextUpload() -> Bool {
        started.add(1, ordering: .relaxed).oldValue % Self.timingInterval == 0
    }

    /// Records an upload that passed the checks needing no store; `stages` when it was timed.
    func record(stages: (validate: Int, verify: Int)?, commit: Int) {
        uploads.add(1, ordering: .relaxed)
        if let stages {
            timed.add(1, ordering: .relaxed)
            validate.add(stages.validate, ordering: .relaxed)
            verify.add(stages.verify, ordering: .relaxed)
        }
        self.commit.add(commit, ordering: .relaxed)
    }

    /// This thread's CPU time, in nanoseconds.
    static func threadCPU() -> Int {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return time.tv_sec * 1_000_000_000 + time.tv_nsec
    }

    /// The monotonic clock, in nanoseconds.
    static func wall() -> Int {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return time.tv_sec * 1_000_000_000 + time.tv_nsec
    }
}
