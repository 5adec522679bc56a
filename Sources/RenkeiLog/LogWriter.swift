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
/// byte bounds), decides each against one snapshot with the batch's earlier writes on top (a refused write
/// drops only its own changes), writes the batch's changes as one write-ahead record with one sync, and
/// only then publishes the change set to readers, installs dictionaries the batch brought, resumes the
/// callers in log order and wakes the tails. The checkpointer moves change sets into LMDB later. When fewer requests are queued than callers were active at the last
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
    private let wal: WriteAheadLog
    private let checkpointer: Checkpointer
    private var walHead: WALPosition // writer thread only
    private var nextGroup: UInt64 // writer thread only
    private var broken: StoreError? // writer thread only
    private let counters = Mutex(WriterStatistics())

    var statistics: WriterStatistics {
        var statistics = counters.withLock { $0 }
        statistics.peakQueuedBytes = admission.peakBytes
        (statistics.checkpoints, statistics.pendingLogBytes) = checkpointer.statistics
        return statistics
    }

    init(store: LogStore, applier: WriteApplier, state: WriterState, wal: WriteAheadLog, checkpointer: Checkpointer, walHead: WALPosition, nextGroup: UInt64,
         notifier: CommitNotifier, admission: WriteAdmission, settings: Settings,
         afterCommit: @escaping @Sendable (SequenceNumber) -> Void, onStopped: @escaping @Sendable () -> Void) {
        self.store = store
        self.wal = wal
        self.checkpointer = checkpointer
        self.walHead = walHead
        self.nextGroup = nextGroup
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
        if let broken {
            finish(batch, with: batch.map { _ in .failure(broken) })
            return
        }
        var results = [Result<CommitReceipt, any Error>]()
        var installed: [ZstdDictionaryBox] = []
        var newState = state
        var tables: [UInt32: TableChanges] = [:]
        do {
            // Decide every write against one snapshot (LMDB and the change sets it does not hold yet) with
            // the group's earlier writes on top; a refused write drops only its own changes.
            let layers = checkpointer.layers
            try store.environment.read { txn in
                var working = Working(view: try StoreView(transaction: txn, store: store, published: layers))
                for request in batch {
                    let saved = newState
                    do {
                        let receipt = try applier.apply(request.write, in: &working, state: &newState)
                        working.changes.keepWrite()
                        results.append(.success(receipt))
                        installed += request.write.dictionaries.map(ZstdDictionaryBox.init)
                    } catch {
                        working.changes.dropWrite()
                        newState = saved
                        results.append(.failure(storeError(error)))
                    }
                }
                tables = working.changes.tables
            }
        } catch {
            counters.withLock { $0.failedCommits += 1 }
            finish(batch, with: batch.map { _ in .failure(storeError(error)) })
            return
        }
        if !tables.isEmpty {
            do {
                try persist(tables, latest: newState.latest)
            } catch {
                counters.withLock { $0.failedCommits += 1 }
                finish(batch, with: batch.map { _ in .failure(error) })
                return
            }
        }
        // Durable: only now may later writes compress with the dictionaries this batch installed.
        for box in installed { store.registry.insert(box.dictionary) }
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

    /// Makes a group's changes durable and visible: one write-ahead record and one sync, then the change
    /// set is published for readers. A group too large for the log goes to LMDB directly, in a checkpoint
    /// of its own. A failed write or sync of the log leaves its state unknown (a failed fsync may have
    /// dropped pages), so the writer then refuses everything until the store is reopened and recovered.
    private func persist(_ tables: [UInt32: TableChanges], latest: SequenceNumber) throws {
        let group = nextGroup
        try checkpointer.makeRoomIfFull()
        let payload = GroupPayload.encode(tables) { store.tablesByID[$0]?.name ?? "?" }
        if payload.count > wal.maximumPayload {
            try checkpointer.checkpointNow(extra: (tables, group, walHead))
            counters.withLock { $0.directCommits += 1 }
        } else {
            try checkpointer.waitForRoom(upTo: wal.end(after: walHead.offset, payloadCount: payload.count))
            do {
                walHead = try wal.append(payload, group: group, after: walHead)
            } catch {
                let failure = StoreError(.ioFailure, "the write-ahead log could not be written or synced (\(error)); no more writes are accepted until the store is reopened")
                broken = failure
                throw failure
            }
            checkpointer.publish(ChangeSet(tables: tables, groups: group...group, walEnd: walHead, latest: latest), head: walHead.offset)
        }
        nextGroup = group + 1
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
    /// Group commits (each one write-ahead record and one sync, or one direct LMDB commit).
    public var commits = 0
    /// Groups too large for the write-ahead log, committed to LMDB directly.
    public var directCommits = 0
    /// Checkpoints: change sets moved from the write-ahead log into LMDB, each in one durable commit.
    public var checkpoints = 0
    /// Bytes of the write-ahead log not yet in LMDB (what a crash now would leave to recovery).
    public var pendingLogBytes: UInt64 = 0
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
