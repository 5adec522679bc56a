#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Counts the transactions open in this process, so that `Environment.close` waits for them to end
/// (`mdb_env_close` with a transaction open is undefined) and refuses new ones meanwhile.
///
/// Its lock is held only for the count's update, never while a transaction runs, so it cannot make a
/// reader wait for a writer or the other way round.
final class TransactionTracker: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let drained: UnsafeMutablePointer<pthread_cond_t>
    private var open = 0
    private var closing = false

    init() {
        mutex = .allocate(capacity: 1)
        drained = .allocate(capacity: 1)
        precondition(pthread_mutex_init(mutex, nil) == 0 && pthread_cond_init(drained, nil) == 0)
    }

    deinit {
        pthread_cond_destroy(drained)
        pthread_mutex_destroy(mutex)
        drained.deallocate()
        mutex.deallocate()
    }

    /// Counts a transaction in; false once closing has begun.
    func enter() -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        guard !closing else { return false }
        open += 1
        return true
    }

    /// Counts a transaction out.
    func leave() {
        pthread_mutex_lock(mutex)
        open -= 1
        if open == 0 { pthread_cond_broadcast(drained) }
        pthread_mutex_unlock(mutex)
    }

    /// Refuses new transactions and waits until the open ones have ended; true the first time.
    func closeAndDrain() -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        let first = !closing
        closing = true
        while open > 0 { pthread_cond_wait(drained, mutex) }
        return first
    }
}

/// A plain mutual-exclusion lock whose closure may return a non-`Sendable` value (the result of a write).
final class WriterLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        mutex = .allocate(capacity: 1)
        let result = pthread_mutex_init(mutex, nil)
        precondition(result == 0, "pthread_mutex_init failed: \(result)")
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func withLock<R>(_ body: () throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}
