import Foundation
import RenkeiLMDB
import RenkeiModel
import RenkeiStore
import RenkeiZstd
import Synchronization

/// One caller's write, waiting for the writer.
final class WriteRequest: @unchecked Sendable {
    let write: PreparedWrite
    private let continuation: CheckedContinuation<CommitReceipt, any Error>

    init(write: PreparedWrite, continuation: CheckedContinuation<CommitReceipt, any Error>) {
        self.write = write
        self.continuation = continuation
    }

    func finish(_ result: Result<CommitReceipt, any Error>) { continuation.resume(with: result) }
}

/// The single writer thread and its queue: group commit.
///
/// Requests queue up while a commit is syncing; the thread then takes them (up to the batch's count and
/// byte bounds), applies each in a nested transaction of one write transaction, commits once — one durable
/// sync for the batch — and only then publishes dictionaries the batch installed, resumes the callers in
/// log order and wakes the tails. When fewer requests are queued than callers were active at the last
/// commit, it waits up to the group-commit window for them.
///
/// The thread owns the end of the store's life: when asked to stop it finishes the queue, then closes the
/// environment and releases the folder's writer lock itself, so a stop requested on the writer thread (the
/// last reference to the store dropped by a write's own closure) never waits for itself.
final class LogWriter: @unchecked Sendable {
    struct Settings {
        var maximumBatchSize: Int
        var maximumBatchBytes: Int
        var groupCommitWindow: Double
    }

    private let store: LogStore
    private let applier: WriteApplier
    private let notifier: CommitNotifier
    private let admission: WriteAdmission
    private let settings: Settings
    private let onStopped: @Sendable () -> Void
    private let afterCommit: @Sendable (SequenceNumber) -> Void
    private let condition = NSCondition()
    private var pending: [WriteRequest] = []
    private var expectedBatch = 1
    private var stopping = false
    private var running = true
    private var threadID: pthread_t?
    private var state: WriterState // writer thread only
    private let counters = Mutex(WriterStatistics())

    var statistics: WriterStatistics {
        var statistics = counters.withLock { $0 }
        statistics.peakQueuedBytes = admission.peakBytes
        return statistics
    }

    init(store: LogStore, applier: WriteApplier, state: WriterState, notifier: CommitNotifier, admission: WriteAdmission, settings: Settings,
         afterCommit: @escaping @Sendable (SequenceNumber) -> Void, onStopped: @escaping @Sendable () -> Void) {
        self.store = store
        self.applier = applier
        self.state = state
        self.notifier = notifier
        self.admission = admission
        self.settings = settings
        self.afterCommit = afterCommit
        self.onStopped = onStopped
        let thread = Thread { [self] in run() }
        thread.name = "renkei-store-writer"
        thread.start()
    }

    /// Whether the calling thread is the writer's.
    var isWriterThread: Bool {
        condition.lock()
        defer { condition.unlock() }
        return threadID.map { pthread_equal($0, pthread_self()) != 0 } ?? false
    }

    /// Queues `request`; false once the writer is stopping.
    func submit(_ request: WriteRequest) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !stopping else { return false }
        pending.append(request)
        if pending.count == 1 || pending.count >= min(expectedBatch, settings.maximumBatchSize) { condition.signal() }
        return true
    }

    /// Asks the writer to finish the queued requests and end; with `wait`, returns once it has ended
    /// (never waits when called on the writer thread itself).
    func stop(wait: Bool) {
        condition.lock()
        stopping = true
        condition.broadcast()
        let onWriter = threadID.map { pthread_equal($0, pthread_self()) != 0 } ?? false
        if wait && !onWriter {
            while running { condition.wait() }
        }
        condition.unlock()
    }

    private func run() {
        condition.lock()
        threadID = pthread_self()
        condition.unlock()
        while let batch = nextBatch() {
            commit(batch)
        }
        // Stopped: the environment closes and the folder's lock is released here, after the last commit.
        onStopped()
        condition.lock()
        running = false
        condition.broadcast()
        condition.unlock()
    }

    private func nextBatch() -> [WriteRequest]? {
        condition.lock()
        defer { condition.unlock() }
        while pending.isEmpty && !stopping { condition.wait() }
        if pending.isEmpty { return nil }
        // Group commit: callers resumed by the last commit are preparing their next write. If fewer are
        // queued than were active then, give the others a short window to join this commit.
        let target = min(expectedBatch, settings.maximumBatchSize)
        if pending.count < target && settings.groupCommitWindow > 0 {
            let deadline = Date(timeIntervalSinceNow: settings.groupCommitWindow)
            while pending.count < target && !stopping && condition.wait(until: deadline) {}
        }
        var count = 0, bytes = 0
        while count < min(pending.count, settings.maximumBatchSize) {
            let size = pending[count].write.size
            if count > 0 && bytes + size > settings.maximumBatchBytes { break }
            bytes += size
            count += 1
        }
        let batch = Array(pending.prefix(count))
        pending.removeFirst(count)
        counters.withLock { $0.largestBatchBytes = max($0.largestBatchBytes, bytes) }
        return batch
    }

    private func commit(_ batch: [WriteRequest]) {
        var results = [Result<CommitReceipt, any Error>]()
        var newState = state
        var installed: [[ZstdDictionaryBox]] = []
        do {
            try store.environment.write { txn in
                results = []
                installed = []
                var working = state
                for request in batch {
                    let saved = working
                    do {
                        let receipt = try txn.nested { child in try applier.apply(request.write, in: child, state: &working) }
                        results.append(.success(receipt))
                        installed.append(request.write.dictionaries.map(ZstdDictionaryBox.init))
                    } catch {
                        working = saved
                        results.append(.failure(storeError(error)))
                    }
                }
                newState = working
            }
        } catch {
            counters.withLock { $0.failedCommits += 1 }
            finish(batch, with: batch.map { _ in .failure(storeError(error)) })
            return
        }
        // Durable: only now may later writes compress with the dictionaries this batch installed.
        for box in installed.joined() { store.registry.insert(box.dictionary) }
        let refused = results.filter { if case .failure = $0 { true } else { false } }.count
        counters.withLock {
            $0.commits += 1
            $0.requests += batch.count
            if refused > 0 && refused < batch.count { $0.mixedBatches += 1 }
        }
        condition.lock()
        expectedBatch = batch.count + pending.count
        condition.unlock()
        state = newState
        notifier.publish(state.latest)
        afterCommit(state.latest)
        finish(batch, with: results)
    }

    private func finish(_ batch: [WriteRequest], with results: [Result<CommitReceipt, any Error>]) {
        for (request, result) in zip(batch, results) {
            admission.release(request.write.size)
            request.finish(result)
        }
    }
}

/// Lets a dictionary cross from the writer's transaction to the registry.
struct ZstdDictionaryBox: @unchecked Sendable {
    let dictionary: ZstdDictionary
}

/// What the writer has done since the store was opened.
public struct WriterStatistics: Sendable, Hashable {
    /// Durable commits (each one sync).
    public var commits = 0
    /// Write requests in those commits (including ones refused and rolled back).
    public var requests = 0
    /// Commits that failed as a whole (a full disk), failing every request in them.
    public var failedCommits = 0
    /// Commits in which some writes were refused (rolled back alone) and the others committed.
    public var mixedBatches = 0
    /// The most bytes of writes queued or being committed at once.
    public var peakQueuedBytes = 0
    /// The most bytes of writes in one batch.
    public var largestBatchBytes = 0

    /// Nothing done yet.
    public init() {}
}
