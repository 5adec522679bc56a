import RenkeiStore
import Synchronization

/// Bounds the bytes of writes queued for the writer or being committed: a write that does not fit waits
/// (first come, first served) until earlier ones finish, so memory stays bounded however many callers
/// write at once. A write larger than the whole bound is refused.
final class WriteAdmission: Sendable {
    private struct Waiter {
        let id: UInt64
        let bytes: Int
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var inUse = 0
        var peak = 0
        var waiters: [Waiter] = []
        var nextID: UInt64 = 0
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// The most bytes admitted at once so far.
    var peakBytes: Int { state.withLock { $0.peak } }

    /// Waits until `bytes` fit, then counts them in.
    func acquire(_ bytes: Int) async throws {
        guard bytes <= capacity else {
            throw StoreError(.tooLarge, "a write of \(bytes) bytes; the writer queues at most \(capacity)")
        }
        let admitted = state.withLock { state -> Bool in
            guard state.waiters.isEmpty, state.inUse + bytes <= capacity else { return false }
            state.inUse += bytes
            state.peak = max(state.peak, state.inUse)
            return true
        }
        if admitted { return }
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow: Bool? = state.withLock { state in
                    if Task.isCancelled { return false }
                    if state.waiters.isEmpty, state.inUse + bytes <= capacity {
                        state.inUse += bytes
                        state.peak = max(state.peak, state.inUse)
                        return true
                    }
                    state.waiters.append(Waiter(id: id, bytes: bytes, continuation: continuation))
                    return nil
                }
                switch resumeNow {
                case true?: continuation.resume()
                case false?: continuation.resume(throwing: StoreError(.overloaded, "cancelled while waiting for room in the writer's queue"))
                case nil: break
                }
            }
        } onCancel: {
            let waiter = state.withLock { state -> Waiter? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index)
            }
            waiter?.continuation.resume(throwing: StoreError(.overloaded, "cancelled while waiting for room in the writer's queue"))
        }
    }

    /// Counts `bytes` out and admits the waiters that now fit, in order.
    func release(_ bytes: Int) {
        let admitted = state.withLock { state -> [Waiter] in
            state.inUse -= bytes
            var admitted: [Waiter] = []
            while let first = state.waiters.first, state.inUse + first.bytes <= capacity {
                state.waiters.removeFirst()
                state.inUse += first.bytes
                state.peak = max(state.peak, state.inUse)
                admitted.append(first)
            }
            return admitted
        }
        for waiter in admitted { waiter.continuation.resume() }
    }
}
