import Foundation
import Metrics
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

/// The single writer and its queue: group commit, in two stages.
///
/// Requests queue up while a group is being synced. The writer thread takes them (up to the batch's count
/// and byte bounds) and decides each against one snapshot — LMDB, the published change sets and the groups
/// decided but not yet synced — with the batch's earlier writes on top (a refused write drops only its own
/// changes); it builds the group's write-ahead record and hands the group to the syncer thread. The syncer
/// writes the record with one sync, and only then publishes the change set to readers, installs the
/// dictionaries the batch brought, resumes the callers in log order and wakes the tails. So the next group
/// is decided while the last one syncs. A group that fails fails the groups decided on top of it, and the
/// writer starts again from what is durable. The checkpointer moves change sets into LMDB later.
///
/// The writer thread owns the end of the store's life: when asked to stop it finishes the queue, lets the
/// syncer finish, then closes the environment and releases the folder's writer lock itself, so a stop
/// requested on either thread (the last reference to the store dropped by a write's own closure) never
/// waits for itself.
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
    private let pipeline: Pipeline
    private var walHead: WALPosition // writer thread only: the log's end after the groups decided
    private var nextGroup: UInt64 // writer thread only
    /// The change sets decided but not yet published, oldest first (writer thread only).
    private var inflight: [ChangeSet] = []
    private var syncerThreadID: pthread_t?
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
        pipeline = Pipeline(head: walHead, group: nextGroup - 1)
        self.applier = applier
        self.state = state
        self.notifier = notifier
        self.admission = admission
        self.settings = settings
        self.afterCommit = afterCommit
        self.onStopped = onStopped
        let syncer = Thread { [self] in
            condition.lock()
            syncerThreadID = pthread_self()
            condition.unlock()
            runSyncer()
        }
        syncer.name = "renkei-store-syncer"
        syncer.start()
        let thread = Thread { [self] in run() }
        thread.name = "renkei-store-writer"
        thread.start()
    }

    /// Whether the calling thread is the writer's or the syncer's (where a write's closures run and its
    /// request is released).
    var isWriterThread: Bool {
        condition.lock()
        defer { condition.unlock() }
        return [threadID, syncerThreadID].contains { $0.map { pthread_equal($0, pthread_self()) != 0 } ?? false }
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
        let onWriter = [threadID, syncerThreadID].contains { $0.map { pthread_equal($0, pthread_self()) != 0 } ?? false }
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
        pipeline.stop()
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

    /// Decides a batch and hands it to the syncer. The decision sees the store as of the groups decided
    /// before it, synced or not: LMDB, the published change sets, and the sets still on their way to disk.
    private func commit(_ batch: [WriteRequest]) {
        // At most one decided group waits behind the one being synced, so groups stay large.
        let (failure, resync) = pipeline.waitForRoom()
        if let failure, failure.fatal {
            finish(batch, with: batch.map { _ in .failure(failure.error) })
            return
        }
        if resync {
            // A group failed (a full disk, say), and those decided on top of it with it: start again from
            // what is durable.
            do {
                try resynchronize()
            } catch {
                finish(batch, with: batch.map { _ in .failure(storeError(error)) })
                return
            }
        }
        let synced = pipeline.syncedGroup
        inflight.removeAll { $0.groups.upperBound <= synced }
        var results = [Result<CommitReceipt, any Error>]()
        var installed: [ZstdDictionaryBox] = []
        var newState = state
        var tables: [UInt32: TableChanges] = [:]
        do {
            // Decide every write against one snapshot with the group's earlier writes on top; a refused write
            // drops only its own changes. The layers are taken before the LMDB snapshot begins (see
            // `StoreView`); a set both in flight and just published appears twice, which changes nothing.
            let layers = checkpointer.layers + inflight
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
        var stage = Stage(batch: batch, results: results, dictionaries: installed, tables: tables, group: 0, latest: newState.latest,
                          set: nil, record: nil, head: walHead)
        if !tables.isEmpty {
            stage.group = nextGroup
            nextGroup += 1
            let payload = GroupPayload.encode(tables) { store.tablesByID[$0]?.name ?? "?" }
            if payload.count <= wal.maximumPayload {
                let record = wal.prepare(payload, group: stage.group, after: walHead)
                stage.record = record
                walHead = record.end
            }
            let set = ChangeSet(tables: tables, groups: stage.group...stage.group, walEnd: walHead, latest: newState.latest)
            stage.set = set
            inflight.append(set)
            // Writes per durable group (swift-metrics; a no-op unless the program bootstrapped a backend).
            Recorder(label: "renkei_group_commit_size").record(batch.count)
        }
        state = newState
        condition.lock()
        expectedBatch = batch.count + pending.count
        condition.unlock()
        pipeline.enqueue(stage)
    }

    /// After a failed group: waits until nothing is in flight, then takes the writer's state from what is
    /// durable and published.
    private func resynchronize() throws {
        let good = pipeline.drainAndReset()
        inflight = []
        walHead = good.head
        nextGroup = good.group + 1
        let layers = checkpointer.layers
        state = try store.environment.read { txn in try WriterState.load(StoreView(transaction: txn, store: store, published: layers)) }
    }

    /// The syncer thread: makes each decided group durable and visible, in order — one write-ahead record
    /// and one sync, then the change set is published for readers, dictionaries installed, the callers
    /// answered in log order and the tails woken. A group too large for the log goes to LMDB directly, in
    /// a checkpoint of its own. A group that fails fails those decided on top of it too; a failed write or
    /// sync of the log leaves its state unknown (a failed fsync may have dropped pages), so the store then
    /// refuses everything until it is reopened and recovered.
    private func runSyncer() {
        pipeline.enter()
        while let (stage, failed) = pipeline.next() {
            if let failed {
                finish(stage.batch, with: stage.batch.map { _ in .failure(failed.error) })
                pipeline.done(stage, succeeded: false)
                continue
            }
            do {
                if !stage.tables.isEmpty {
                    try checkpointer.makeRoomIfFull()
                    if let record = stage.record {
                        try checkpointer.waitForRoom(upTo: record.end.offset)
                        do {
                            try wal.write(record)
                        } catch {
                            throw PipelineFailure(fatal: true, error: StoreError(.ioFailure, "the write-ahead log could not be written or synced (\(error)); no more writes are accepted until the store is reopened"))
                        }
                        checkpointer.publish(stage.set!, head: record.end.offset)
                    } else {
                        try checkpointer.checkpointNow(extra: (stage.tables, stage.group, stage.head))
                        counters.withLock { $0.directCommits += 1 }
                    }
                }
            } catch {
                counters.withLock { $0.failedCommits += 1 }
                let failure = error as? PipelineFailure ?? PipelineFailure(fatal: false, error: storeError(error))
                pipeline.fail(failure)
                finish(stage.batch, with: stage.batch.map { _ in .failure(failure.error) })
                pipeline.done(stage, succeeded: false)
                continue
            }
            // Durable: only now may later writes compress with the dictionaries this batch installed.
            for box in stage.dictionaries { store.registry.insert(box.dictionary) }
            let refused = stage.results.filter { if case .failure = $0 { true } else { false } }.count
            counters.withLock {
                $0.commits += 1
                $0.requests += stage.batch.count
                if refused > 0 && refused < stage.batch.count { $0.mixedBatches += 1 }
            }
            pipeline.done(stage, succeeded: true)
            notifier.publish(stage.latest)
            afterCommit(stage.latest)
            finish(stage.batch, with: stage.results)
        }
    }

    private func finish(_ batch: [WriteRequest], with results: [Result<CommitReceipt, any Error>]) {
        for (request, result) in zip(batch, results) {
            admission.release(request.write.size)
            request.finish(result)
        }
    }
}

/// A decided group on its way to disk.
struct Stage: @unchecked Sendable {
    let batch: [WriteRequest]
    let results: [Result<CommitReceipt, any Error>]
    let dictionaries: [ZstdDictionaryBox]
    /// The group's changes (none when every write in it was refused).
    let tables: [UInt32: TableChanges]
    var group: UInt64
    let latest: SequenceNumber
    /// The change set readers will see (nil when there are no changes).
    var set: ChangeSet?
    /// The write-ahead record (nil with changes: too large, the group goes to LMDB directly).
    var record: PreparedRecord?
    /// The log's end before this group.
    let head: WALPosition
}

/// Why a group could not be made durable; `fatal` when the write-ahead log's state is unknown.
struct PipelineFailure: Error, @unchecked Sendable {
    let fatal: Bool
    let error: any Error
}

/// The hand-over between the writer (deciding) and the syncer (writing and syncing), one group in flight
/// and at most one waiting; and what the syncer has made durable, for the writer to restart from after a
/// failure.
final class Pipeline: @unchecked Sendable {
    private let condition = NSCondition()
    private var waiting: [Stage] = []
    private var syncing = false
    private var stopping = false
    private var running = false
    private var failure: PipelineFailure?
    /// The last group made durable, and the log's end after it.
    private var good: (head: WALPosition, group: UInt64)
    private var synced: UInt64

    init(head: WALPosition, group: UInt64) {
        good = (head, group)
        synced = group
    }

    /// The last group made durable (or found to have failed): sets up to it need not be layered by the writer.
    var syncedGroup: UInt64 {
        condition.lock()
        defer { condition.unlock() }
        return synced
    }

    // Writer side.

    /// Waits until a decided group may be queued; returns the failure, if any, and whether the writer must
    /// restart from what is durable.
    func waitForRoom() -> (PipelineFailure?, Bool) {
        condition.lock()
        defer { condition.unlock() }
        while !waiting.isEmpty { condition.wait() }
        return (failure, failure.map { !$0.fatal } ?? false)
    }

    func enqueue(_ stage: Stage) {
        condition.lock()
        waiting.append(stage)
        condition.broadcast()
        condition.unlock()
    }

    /// Waits until nothing is in flight, clears a passing failure, and returns what is durable.
    func drainAndReset() -> (head: WALPosition, group: UInt64) {
        condition.lock()
        defer { condition.unlock() }
        while !waiting.isEmpty || syncing { condition.wait() }
        if let failure, !failure.fatal { self.failure = nil }
        return good
    }

    /// Lets the syncer finish what is queued, then end; returns once it has.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while running { condition.wait() }
        condition.unlock()
    }

    // Syncer side.

    func enter() {
        condition.lock()
        running = true
        condition.unlock()
    }

    /// The next group, and the failure it must share (it was decided on top of a failed group); nil at the end.
    func next() -> (Stage, PipelineFailure?)? {
        condition.lock()
        defer { condition.unlock() }
        while waiting.isEmpty && !stopping { condition.wait() }
        guard !waiting.isEmpty else {
            running = false
            condition.broadcast()
            return nil
        }
        syncing = true
        let stage = waiting.removeFirst()
        condition.broadcast()
        return (stage, failure)
    }

    func fail(_ failure: PipelineFailure) {
        condition.lock()
        if self.failure?.fatal != true { self.failure = failure }
        condition.unlock()
    }

    func done(_ stage: Stage, succeeded: Bool) {
        condition.lock()
        if succeeded && !stage.tables.isEmpty { good = (stage.record?.end ?? stage.head, stage.group) }
        if !stage.tables.isEmpty { synced = max(synced, stage.group) }
        syncing = false
        condition.broadcast()
        condition.unlock()
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
