public import RenkeiModel
import Synchronization

/// The committed end of the log, and the tails waiting for it to move.
final class CommitBroadcaster: Sendable {
    private struct State {
        var latest: SequenceNumber
        var closed = false
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextWaiterID: UInt64 = 0
    }

    private let state: Mutex<State>

    init(latest: SequenceNumber) { state = Mutex(State(latest: latest)) }

    var latest: SequenceNumber { state.withLock { $0.latest } }

    /// Records a durable commit ending at `latest` and wakes every waiting tail.
    func publish(_ latest: SequenceNumber) {
        let woken = state.withLock { state in
            state.latest = latest
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in woken { waiter.resume() }
    }

    /// Ends every tail.
    func close() {
        let woken = state.withLock { state in
            state.closed = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in woken { waiter.resume() }
    }

    /// The committed end once it is at least `sequence`; nil if the log closed or the task was cancelled first.
    func wait(until sequence: SequenceNumber) async -> SequenceNumber? {
        while true {
            let (latest, closed) = state.withLock { ($0.latest, $0.closed) }
            if latest >= sequence { return latest }
            if closed || Task.isCancelled { return nil }
            let id = state.withLock { state -> UInt64 in
                state.nextWaiterID += 1
                return state.nextWaiterID
            }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let resumeNow = state.withLock { state -> Bool in
                        if state.latest >= sequence || state.closed || Task.isCancelled { return true }
                        state.waiters[id] = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            } onCancel: {
                let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
                waiter?.resume()
            }
        }
    }
}

/// The committed sequence numbers after a position: catch-up, then live. See `EventLog.tail(after:)`.
///
/// Pull-based: a slow consumer only falls behind; nothing is buffered for it. It reads the records it
/// wants with `EventLog.read`.
public struct LogTail: AsyncSequence, Sendable {
    public typealias Element = SequenceNumber

    let after: SequenceNumber
    let broadcaster: CommitBroadcaster

    init(after: SequenceNumber, broadcaster: CommitBroadcaster) {
        self.after = after
        self.broadcaster = broadcaster
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(next: after.next, known: .zero, broadcaster: broadcaster)
    }

    /// Yields each committed sequence number in order.
    public struct Iterator: AsyncIteratorProtocol {
        var next: SequenceNumber
        var known: SequenceNumber
        let broadcaster: CommitBroadcaster

        /// The next committed sequence number, waiting for a commit if need be; nil when the log closes or
        /// the task is cancelled.
        public mutating func next() async -> SequenceNumber? {
            if next > known {
                guard let latest = await broadcaster.wait(until: next) else { return nil }
                known = latest
            }
            defer { next = next.next }
            return next
        }
    }
}
