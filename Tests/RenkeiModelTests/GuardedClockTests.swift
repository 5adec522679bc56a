import RenkeiModel
import Synchronization
import Testing

/// The platform's clock follows the wall clock through small corrections and refuses its steps.
@Suite struct GuardedClockTests {
    final class Sources: Sendable {
        let wall = Mutex<Int64>(1_800_000_000_000_000)
        let elapsed = Mutex<Int64>(0)
        func pass(_ micros: Int64) {
            wall.withLock { $0 += micros }
            elapsed.withLock { $0 += micros }
        }
        func step(_ micros: Int64) { wall.withLock { $0 += micros } }
    }

    static let minute: Int64 = 60_000_000, day: Int64 = 86_400_000_000

    @Test func smallCorrectionsAreFollowedAndStepsAreNot() {
        let sources = Sources()
        let clock = GuardedClock(wall: { Timestamp(rawValue: sources.wall.withLock { $0 }) }, monotonic: { sources.elapsed.withLock { $0 } })
        let start = clock.now().rawValue
        sources.pass(10 * Self.minute)
        #expect(clock.now().rawValue == start + 10 * Self.minute)
        // NTP slews by two minutes: followed.
        sources.step(2 * Self.minute)
        #expect(clock.now().rawValue == start + 12 * Self.minute && clock.steps.count == 0)
        // A year ahead: not followed; time goes on from where it was.
        sources.step(365 * Self.day)
        sources.pass(Self.minute)
        #expect(clock.now().rawValue == start + 13 * Self.minute && clock.steps.count == 1 && clock.steps.last > 364 * Self.day)
        // Back two years (behind where it truly is): not followed either, and never backwards.
        sources.step(-730 * Self.day)
        let before = clock.now().rawValue
        sources.pass(Self.minute)
        let after = clock.now().rawValue
        #expect(before == start + 13 * Self.minute && after == before + Self.minute && clock.steps.last < 0)
    }

    @Test func aSmallBackwardCorrectionNeverGoesBack() {
        let sources = Sources()
        let clock = GuardedClock(wall: { Timestamp(rawValue: sources.wall.withLock { $0 }) }, monotonic: { sources.elapsed.withLock { $0 } })
        let first = clock.now()
        sources.step(-30_000_000)
        #expect(clock.now() >= first)
    }
}
