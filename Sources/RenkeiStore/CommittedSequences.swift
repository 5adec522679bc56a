public import RenkeiModel
import Synchronization

/// The committed end of a log, and the tails waiting for it to move. Engines publish each durable commit
/// here; `CommittedSequences` waits on it.
public final class CommitNotifier: Sendable {
    private struct State {
        var latest: SequenceNumber
        var closed = false
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextWaiterID: UInt64 = 0
    }

    private let state: Mutex<State>

    /// A notifier whose log ends at `latest`.
    public init(latest: SequenceNumber) { state = Mutex(State(latest: latest)) }

    /// The committed end.
    public var latest: SequenceNumber { state.withLock { $0.latest } }

    /// Tails waiting now (for tests that must see a tail suspended before they commit).
    public var waitingCount: Int { state.withLock { $0.waiters.count } }

    /// Records a durable commit ending at `latest` and wakes every waiting tail.
    public func publish(_ latest: SequenceNumber) {
        let woken = state.withLock { state in
            state.latest = max(state.latest, latest)
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in woken { waiter.resume() }
    }

    /// Ends every tail.
    public func close() {
        let woken = state.withLock { state in
            state.closed = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in woken { waiter.resume() }
    }

    /// The committed end once it is at least `sequence`; nil if closed or the task was cancelled first.
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

/// The committed sequence numbers after a position: catch-up, then live. See `EventStore.tail(after:)`.
///
/// Pull-based: a slow consumer only falls behind; nothing is buffered for it. It reads the events it
/// wants with `EventStore.read`.
public struct CommittedSequences: AsyncSequence, Sendable {
    public typealias Element = SequenceNumber
    public typealias Failure = Never

    let after: SequenceNumber
    let notifier: CommitNotifier

    /// The sequences after `position` as `notifier` publishes them.
    public init(after position: SequenceNumber, notifier: CommitNotifier) {
        after = position
        self.notifier = notifier
    }

    /// Consumers of this store's tails waiting for a commit now (a tail is suspended, not polling).
    public var waitingConsumers: Int { notifier.waitingCount }

    public func makeAsyncIterator() -> Iterator {
        Iterator(next: after.next, known: .zero, notifier: notifier)
    }

    /// Yields each committed sequence number in order.
    public struct Iterator: AsyncIteratorProtocol {
        var next: SequenceNumber
        var known: SequenceNumber
        let notifier: CommitNotifier

        /// The next committed sequence number, waiting for a commit if need be; nil when the store closes
        /// or the task is cancelled.
        public mutating func next() async -> SequenceNumber? {
            if next > known {
                guard let latest = await notifier.wait(until: next) else { return nil }
                known = latest
            }
            defer { next = next.next }
            return next
        }
    }
}
