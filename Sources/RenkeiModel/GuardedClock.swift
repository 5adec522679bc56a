#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The platform's clock: the wall clock, guarded against steps. Each reading is compared with where the
/// last trusted reading plus the elapsed monotonic time says the wall clock should be; within `tolerance`
/// (NTP's slewing, small corrections) the wall clock is followed, and beyond it (a step forward or back: a
/// mis-set clock, a virtual machine resumed) the estimate is used instead and the step is counted. So event
/// times never jump, licences do not expire because a clock ran a year ahead for a minute, and nothing is
/// dated in the past. A deliberate correction beyond the tolerance is followed after a restart.
public final class GuardedClock: Sendable {
    /// How far the wall clock may move from the estimate and still be followed (5 minutes).
    public static let defaultTolerance: Int64 = 300_000_000

    private struct Anchor {
        var wall: Int64
        var monotonic: Int64
        var steps: Int
        var lastStep: Int64
    }

    private let wall: @Sendable () -> Timestamp
    private let monotonic: @Sendable () -> Int64
    private let tolerance: Int64
    private let anchor: Mutex<Anchor>

    /// A guard over `wall`, measuring elapsed time with `monotonic` (microseconds); by default the system's
    /// real-time clock and its boot-time clock (which, unlike CLOCK_MONOTONIC, counts a suspension).
    public init(wall: @escaping @Sendable () -> Timestamp = { .now() }, monotonic: @escaping @Sendable () -> Int64 = GuardedClock.bootTime,
                tolerance: Int64 = GuardedClock.defaultTolerance) {
        self.wall = wall
        self.monotonic = monotonic
        self.tolerance = tolerance
        anchor = Mutex(Anchor(wall: wall().rawValue, monotonic: monotonic(), steps: 0, lastStep: 0))
    }

    /// The time now: the wall clock's, or the estimate while the wall clock is off by more than the tolerance.
    public func now() -> Timestamp {
        let reading = wall().rawValue, elapsed = monotonic()
        return anchor.withLock { anchor in
            let estimate = anchor.wall + max(0, elapsed - anchor.monotonic)
            if abs(reading - estimate) <= tolerance {
                anchor.wall = max(reading, anchor.wall)
                anchor.monotonic = elapsed
                return Timestamp(rawValue: anchor.wall)
            }
            anchor.steps += 1
            anchor.lastStep = reading - estimate
            anchor.wall = estimate
            anchor.monotonic = elapsed
            return Timestamp(rawValue: estimate)
        }
    }

    /// Readings refused so far, and the size of the last step (microseconds; positive: the wall clock ran ahead).
    public var steps: (count: Int, last: Int64) { anchor.withLock { ($0.steps, $0.lastStep) } }

    /// Microseconds of CLOCK_BOOTTIME (Linux) or the monotonic clock elsewhere.
    @Sendable public static func bootTime() -> Int64 {
        var time = timespec()
        #if os(Linux)
        clock_gettime(CLOCK_BOOTTIME, &time)
        #else
        clock_gettime(CLOCK_MONOTONIC, &time)
        #endif
        return Int64(time.tv_sec) * 1_000_000 + Int64(time.tv_nsec) / 1_000
    }
}
