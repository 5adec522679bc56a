import Glibc
import Synchronization

/// Where uploads spend their time, summed over every upload that passed the checks needing no store: the CPU
/// time of the checks that need no store (hashing, names, the standard's rules) and of the signature
/// check, on the caller's thread, and the wall time of deciding and committing (mostly waiting for the
/// durable group commit).
public final class UploadStatistics: Sendable {
    private let uploads = Atomic<Int>(0)
    private let validate = Atomic<Int>(0)
    private let verify = Atomic<Int>(0)
    private let commit = Atomic<Int>(0)

    init() {}

    /// A summary.
    public struct Totals: Hashable, Sendable {
        /// Uploads that passed the checks needing no store (repeats included).
        public let uploads: Int
        /// CPU nanoseconds in validation: hashing, the manifest, file names, the standard's rules.
        public let validateNanoseconds: Int
        /// CPU nanoseconds verifying the CMS signature and its chain.
        public let verifyNanoseconds: Int
        /// Wall nanoseconds deciding and awaiting the durable commit.
        public let commitNanoseconds: Int
    }

    /// The totals so far.
    public var totals: Totals {
        Totals(uploads: uploads.load(ordering: .relaxed), validateNanoseconds: validate.load(ordering: .relaxed),
               verifyNanoseconds: verify.load(ordering: .relaxed), commitNanoseconds: commit.load(ordering: .relaxed))
    }

    func record(validate: Int, verify: Int, commit: Int) {
        uploads.add(1, ordering: .relaxed)
        self.validate.add(validate, ordering: .relaxed)
        self.verify.add(verify, ordering: .relaxed)
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
