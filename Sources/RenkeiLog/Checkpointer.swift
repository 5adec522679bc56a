import Foundation
import RenkeiLMDB
import RenkeiModel
import RenkeiStore

/// The acknowledged change sets LMDB does not hold yet, and the thread that moves them into LMDB.
///
/// The writer publishes each group's change set here after its write-ahead record is synced; readers take
/// the list with their LMDB snapshot. A checkpoint applies the oldest change sets to LMDB in one durable
/// commit that also records, in `meta`, the last group and log position it holds; only then are those
/// sets dropped from the list and their part of the write-ahead log free for reuse. So LMDB's scattered
/// page writes happen a few times a second in large commits, not once per group.
///
/// Change sets are merged as they accumulate, size-tiered: when the newest `fanIn` sets are of one tier
/// (as often merged), they become one set of the next tier. So a reader consults at most `fanIn` layers a
/// tier — a few dozen, not one per group — and each change is copied once a tier. The merges run on this
/// thread, off the writer's path; a set a checkpoint has taken is never merged.
final class Checkpointer: @unchecked Sendable {
    struct Settings {
        /// Checkpoint when this many write-ahead log bytes are not yet in LMDB.
        var triggerBytes: UInt64
        /// Checkpoint at least this often while anything is pending.
        var interval: Double
    }

    private let store: LogStore
    private let capacity: UInt64
    private let settings: Settings
    private let condition = NSCondition()
    /// Oldest first.
    private var published: [ChangeSet] = []
    /// How many of the oldest sets a checkpoint is applying now.
    private var taken = 0
    /// What LMDB durably holds.
    private var applied: WALCheckpoint
    /// The write-ahead log's end.
    private var head: UInt64
    private var requested = false
    private var stopping = false
    private var running = true
    private var failure: StoreError?
    /// The last checkpoint's failure when it may pass (a full disk); cleared by the next that succeeds.
    private var transientFailure: StoreError?
    /// Serialises checkpoints (the thread's, and those a caller asks for and waits on).
    private let applying = NSLock()
    private var checkpoints = 0

    init(store: LogStore, capacity: UInt64, applied: WALCheckpoint, head: UInt64, settings: Settings) {
        self.store = store
        self.capacity = capacity
        self.applied = applied
        self.head = head
        self.settings = settings
        let thread = Thread { [self] in run() }
        thread.name = "renkei-store-checkpointer"
        thread.start()
    }

    /// The change sets a new snapshot layers over LMDB.
    var layers: [ChangeSet] {
        condition.lock()
        defer { condition.unlock() }
        return published
    }

    /// What the checkpoints have done.
    var statistics: (checkpoints: Int, pendingBytes: UInt64) {
        condition.lock()
        defer { condition.unlock() }
        return (checkpoints, head - applied.position.offset)
    }

    /// Adds a group's change set (its write-ahead record is synced); the log now ends at `head`.
    func publish(_ set: ChangeSet, head: UInt64) {
        condition.lock()
        defer { condition.unlock() }
        published.append(set)
        self.head = head
        // The first set since the last checkpoint starts the interval's clock; a full quarter starts one now;
        // every `fanIn` new sets may be merged.
        if published.count == 1 || head - applied.position.offset >= settings.triggerBytes || (published.count - taken) % Self.fanIn == 0 {
            condition.broadcast()
        }
    }

    static let fanIn = 8

    /// The first run of `fanIn` consecutive sets of one tier after those a checkpoint has taken (with the lock).
    private func mergeableRun() -> ArraySlice<ChangeSet>? {
        var start = taken
        while start + Self.fanIn <= published.count {
            let tier = published[start].tier
            var end = start + 1
            while end < start + Self.fanIn && published[end].tier == tier { end += 1 }
            if end == start + Self.fanIn { return published[start ..< end] }
            start = end
        }
        return nil
    }

    /// Merges one run (checkpointer thread), outside the lock; returns whether it did. The writer may
    /// append meanwhile and a checkpoint the writer asked for may take sets: the run is put back only if
    /// it is still there, untaken.
    private func compactOnce() -> Bool {
        condition.lock()
        let run = mergeableRun().map(Array.init)
        condition.unlock()
        guard let run else { return false }
        let merged = ChangeSet.merged(run)
        condition.lock()
        defer { condition.unlock() }
        guard let start = published.firstIndex(where: { $0 === run[0] }), start >= taken, start + run.count <= published.count,
              zip(published[start ..< start + run.count], run).allSatisfy({ $0 === $1 }) else { return false }
        published.replaceSubrange(start ..< start + run.count, with: [merged])
        return true
    }

    /// Waits until the write-ahead log has room up to `end` (checkpointing meanwhile).
    func waitForRoom(upTo end: UInt64) throws {
        condition.lock()
        defer { condition.unlock() }
        while end - applied.position.offset > capacity {
            if let failure { throw failure }
            transientFailure = nil
            requested = true
            condition.broadcast()
            condition.wait()
            if let transientFailure { throw transientFailure }
        }
    }

    /// Applies every published change set to LMDB now, and `extra` (a group too large for the write-ahead
    /// log) after them, in one durable commit; returns once it is done.
    func checkpointNow(extra: (tables: [UInt32: TableChanges], group: UInt64, position: WALPosition)? = nil) throws {
        applying.lock()
        defer { applying.unlock() }
        condition.lock()
        if let failure { condition.unlock(); throw failure }
        let sets = published
        taken = sets.count
        condition.unlock()
        try checkpoint(sets, extra: extra)
    }

    /// When the last checkpoint failed for want of space, tries one now, so that a write is refused
    /// (`.storageFull`) while the store is full instead of piling acknowledged work into the write-ahead
    /// log that LMDB cannot take, and goes through as soon as room returns.
    func makeRoomIfFull() throws {
        condition.lock()
        let full = transientFailure != nil
        condition.unlock()
        if full { try checkpointNow() }
    }

    /// Finishes: a last checkpoint of everything published, then the thread ends.
    func stop() {
        try? checkpointNow()
        condition.lock()
        stopping = true
        condition.broadcast()
        while running { condition.wait() }
        condition.unlock()
    }

    private func run() {
        condition.lock()
        var last = Date()
        while !stopping {
            let pending = head - applied.position.offset
            let due = !published.isEmpty && (requested || pending >= settings.triggerBytes || Date().timeIntervalSince(last) >= settings.interval)
            if !due {
                if mergeableRun() != nil {
                    condition.unlock()
                    while compactOnce() {}
                    condition.lock()
                    continue
                }
                _ = condition.wait(until: published.isEmpty ? Date(timeIntervalSinceNow: 3600) : last.addingTimeInterval(settings.interval))
                continue
            }
            requested = false
            condition.unlock()
            applying.lock()
            condition.lock()
            let sets = published
            taken = sets.count
            condition.unlock()
            let failed = (try? checkpoint(sets, extra: nil)) == nil
            applying.unlock()
            last = Date()
            condition.lock()
            // After a failure, try again a little later rather than at once.
            if failed && !stopping { _ = condition.wait(until: Date(timeIntervalSinceNow: 0.1)) }
        }
        running = false
        condition.broadcast()
        condition.unlock()
    }

    /// Applies `sets` (the oldest published) and `extra` to LMDB in one commit, then drops the sets.
    private func checkpoint(_ sets: [ChangeSet], extra: (tables: [UInt32: TableChanges], group: UInt64, position: WALPosition)?) throws {
        guard !sets.isEmpty || extra != nil else {
            condition.lock()
            transientFailure = nil
            condition.unlock()
            return
        }
        var target = applied
        if let last = sets.last { target = WALCheckpoint(position: last.walEnd, group: last.groups.upperBound) }
        if let extra { target = WALCheckpoint(position: extra.position, group: extra.group) }
        do {
            try store.environment.write { txn in
                for set in sets {
                    for (id, table) in set.tables { try apply(table, to: id, txn) }
                }
                if let extra {
                    for (id, table) in extra.tables { try apply(FrozenTable(table), to: id, txn) }
                }
                try target.write(txn, store)
            }
        } catch {
            let failure = storeError(error) as? StoreError ?? StoreError(.ioFailure, "\(error)")
            condition.lock()
            taken = 0
            // A full disk may pass; anything else leaves the store unable to make room: writers hear why.
            if failure.code == .storageFull { transientFailure = failure } else { self.failure = failure }
            condition.broadcast()
            condition.unlock()
            throw failure
        }
        condition.lock()
        published.removeFirst(sets.count)
        taken = 0
        applied = target
        transientFailure = nil
        checkpoints += 1
        condition.broadcast()
        condition.unlock()
    }

    private func apply(_ table: FrozenTable, to id: UInt32, _ txn: WriteTransaction) throws {
        guard let database = store.tablesByID[id] else { throw StoreError(.corrupt, "a change to unknown table \(id)") }
        try store.apply(table, to: database, txn)
    }
}

extension LogStore {
    /// Applies one table's changes to LMDB, in key order (a checkpoint's, or recovery's at open).
    func apply(_ table: FrozenTable, to database: Database, _ txn: WriteTransaction) throws {
        if table.cleared { try txn.clear(database) }
        for entry in table.sorted {
            if let value = entry.value {
                try txn.put(database, key: entry.key.bytes, value: value)
            } else {
                _ = try txn.delete(database, key: entry.key.bytes)
            }
        }
    }
}
