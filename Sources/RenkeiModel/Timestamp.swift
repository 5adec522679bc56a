#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A moment, as microseconds since 1970-01-01T00:00:00Z: the time an event was appended.
public struct Timestamp: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Microseconds since the Unix epoch.
    public var rawValue: Int64
    /// The moment `rawValue` microseconds after the epoch.
    public init(rawValue: Int64) { self.rawValue = rawValue }
    /// The moment `microseconds` after the epoch.
    public init(microsecondsSinceEpoch microseconds: Int64) { rawValue = microseconds }

    /// The current time from the system's real-time clock.
    public static func now() -> Timestamp {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Timestamp(rawValue: Int64(time.tv_sec) * 1_000_000 + Int64(time.tv_nsec) / 1_000)
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { "\(rawValue)µs" }
}
