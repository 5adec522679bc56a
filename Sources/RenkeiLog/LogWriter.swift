import Foundation
import RenkeiLMDB
import RenkeiMerkle
import RenkeiModel
import Synchronization

/// What the writer knows of the log's end: the last sequence and the Merkle frontier. Only the writer
/// thread changes it, and only after a commit succeeds.
struct WriterState: Sendable {
    var latest: SequenceNumber
    var frontier: MerkleFrontier

    static func load(_ txn: Transaction, _ store: LogStore) throws -> WriterState {
        let latest = try latest(txn, store)
        let frontier = try MerkleFrontier(size: latest.rawValue, nodes: StoredMerkleNodes(transaction: txn, database: store.merkle))
        return WriterState(latest: latest, frontier: frontier)
    }
}

/// One caller's work, waiting for the writer.
final class WriteRequest: @unchecked Sendable {
    let execute: (LogWriteTransaction) throws -> Void
    let finish: ((any Error)?) -> Void

    init<T: Sendable>(work: @escaping @Sendable (LogWriteTransaction) throws -> T, continuation: CheckedContinuation<T, any Error>) {
        let box = ResultBox<T>()
        execute = { box.value = try work($0) }
        finish = { error in
            if let error {
                continuation.resume(throwing: error)
            } else if let value = box.value {
                continuation.resume(returning: value)
            } else {
                continuation.resume(throwing: LogError(.corrupt, "write finished without a result"))
            }
        }
    }
}

/// Written on the writer thread before the continuation is resumed; read only after.
private final class ResultBox<T>: @unchecked Sendable {
    var value: T?
}

/// The single writer thread and its queue: group commit.
///
/// Requests queue up while a commit is syncing; the thread then takes them all (up to the batch bound),
/// runs each in a nested transaction of one write transaction, commits once — one durable sync for the
/// batch — and only then resumes the callers, in log order, and wakes the tails. When fewer requests are
/// queued than callers were active at the last commit, it waits up to the group-commit window for them.
final class LogWriter: @unchecked Sendable {
    private let store: LogStore
    private let dictionaries: DictionaryRegistry
    private let committed: CommitBroadcaster
    private let maximumBatchSize: Int
    private let groupCommitWindow: Double
    private let condition = NSCondition()
    private var pending: [WriteRequest] = []
    /// Callers active around the last commit: those it resumed plus those that queued while it ran.
    private var expectedBatch = 1
    private var stopping = false
    private var running = true
    private var state: WriterState // writer thread only
    private let commits = Atomic<Int>(0)
    private let requestsCommitted = Atomic<Int>(0)
    private let failedCommits = Atomic<Int>(0)

    /// Counts so far.
    var statistics: WriterStatistics {
        WriterStatistics(
            commits: commits.load(ordering: .relaxed),
            requests: requestsCommitted.load(ordering: .relaxed),
            failedCommits: failedCommits.load(ordering: .relaxed)
        )
    }

    init(store: LogStore, state: WriterState, dictionaries: DictionaryRegistry, committed: CommitBroadcaster, maximumBatchSize: Int, groupCommitWindow: Duration) {
        self.store = store
        self.state = state
        self.dictionaries = dictionaries
        self.committed = committed
        self.maximumBatchSize = max(1, maximumBatchSize)
        let window = groupCommitWindow.components
        self.groupCommitWindow = max(0, Double(window.seconds) + Double(window.attoseconds) / 1e18)
        let thread = Thread { [self] in run() }
        thread.name = "renkei-log-writer"
        thread.start()
    }

    /// Queues `request`; false once the writer is stopping.
    func submit(_ request: WriteRequest) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !stopping else { return false }
        pending.append(request)
        // Wake the writer only when it has something to do: the first request, or a full group.
        if pending.count == 1 || pending.count >= min(expectedBatch, maximumBatchSize) { condition.signal() }
        return true
    }

    /// Finishes the queued requests, then ends the thread; returns when it has ended.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while running { condition.wait() }
        condition.unlock()
    }

    private func run() {
        while let batch = nextBatch() {
            commit(batch)
        }
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
        // queued than were active then, give the others a short window to join this commit rather than
        // leave them for the next sync (without it, callers settle into alternating half-size batches).
        let target = min(expectedBatch, maximumBatchSize)
        if pending.count < target && groupCommitWindow > 0 {
            let deadline = Date(timeIntervalSinceNow: groupCommitWindow)
            while pending.count < target && !stopping && condition.wait(until: deadline) {}
        }
        let count = min(pending.count, maximumBatchSize)
        let batch = Array(pending.prefix(count))
        pending.removeFirst(count)
        return batch
    }

    private func commit(_ batch: [WriteRequest]) {
        var failures = [(any Error)?](repeating: nil, count: batch.count)
        var newState = state
        do {
            try store.environment.write { txn in
                // A rerun (after the map grew) starts again from the committed state.
                failures = [(any Error)?](repeating: nil, count: batch.count)
                let context = LogWriteTransaction(transaction: txn, store: store, dictionaries: dictionaries, state: state)
                for (index, request) in batch.enumerated() {
                    let saved = context.state
                    do {
                        try txn.nested { child in
                            context.transaction = child
                            defer { context.transaction = txn }
                            try request.execute(context)
                        }
                    } catch let error as LMDBError where error.code == .mapFull && store.environment.canGrow {
                        throw error
                    } catch {
                        context.state = saved
                        failures[index] = error
                    }
                }
                newState = context.state
            }
        } catch {
            failedCommits.add(1, ordering: .relaxed)
            for request in batch { request.finish(error) }
            return
        }
        commits.add(1, ordering: .relaxed)
        requestsCommitted.add(batch.count, ordering: .relaxed)
        condition.lock()
        expectedBatch = batch.count + pending.count
        condition.unlock()
        state = newState
        committed.publish(state.latest)
        for (index, request) in batch.enumerated() { request.finish(failures[index]) }
    }
}

/// What the writer has done since the log was opened: how well group commit is batching.
public struct WriterStatistics: Sendable, Hashable {
    /// Durable commits (each one sync).
    public var commits: Int
    /// Write requests in those commits (including ones whose own work failed and was rolled back).
    public var requests: Int
    /// Commits that failed as a whole (a full disk), failing every request in them.
    public var failedCommits: Int
}
