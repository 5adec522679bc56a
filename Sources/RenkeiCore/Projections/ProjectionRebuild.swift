public import RenkeiCrypto
public import RenkeiModel
public import RenkeiStore
import Synchronization

/// The projections folded from the log in memory: the rebuild that proves the live ones, and the
/// read-only view of the platform as it was at a sequence number or a time.
public struct RebuiltProjections: ProjectionReader, Sendable {
    /// The last event folded.
    public let through: SequenceNumber
    private let spaces: [KeySpace: SortedTable]
    /// Where a unit's upload event is read from (nil: a view of a snapshot that has ended, which answers no unit's detail).
    private let log: (any EventStore)?

    init(through: SequenceNumber, states: [RebuildState], log: (any EventStore)?) async {
        self.through = through
        self.log = log
        // Each key space is sorted and compacted on its own task, from the tables of every lane that wrote it.
        self.spaces = await withTaskGroup(of: (KeySpace, SortedTable).self) { group in
            for space in ProjectionSpaces.all {
                group.addTask {
                    // A key's first byte picks its table, so each byte's tables sort alone and the results join in byte order.
                    let pieces = (0 ..< 256).compactMap { byte -> SortedTable? in
                        let tables = states.compactMap { $0.tables(space)?.table(first: UInt8(byte)) }
                        return tables.isEmpty ? nil : RebuildTable.sorted(tables)
                    }
                    return (space, SortedTable(joining: pieces))
                }
            }
            var spaces: [KeySpace: SortedTable] = [:]
            for await (space, table) in group { spaces[space] = table }
            return spaces
        }
    }

    /// Each projection key space's digest (`KeySpaceDigest`), comparable with `StoreSnapshot.digest(of:)`.
    public var digests: [KeySpace: SHA256Digest] { spaces.mapValues { $0.digest() } }

    /// Queries over this view.
    public var queries: PlatformQueries { PlatformQueries(self) }

    public func value(forKey key: [UInt8], in space: KeySpace) async throws -> [UInt8]? {
        guard let table = spaces[space] else { return nil }
        let index = table.lowerBound(key)
        return index < table.count && table.key(at: index) == key ? table.value(at: index) : nil
    }

    public func event(at sequence: SequenceNumber) async throws -> Event? {
        guard sequence <= through, let log else { return nil }
        return try await log.read { try await $0.event(at: sequence) }
    }

    public func entries(in space: KeySpace, from lowerBound: [UInt8]?, to upperBound: [UInt8]?, limit: Int) async throws -> [KeyValue] {
        guard let table = spaces[space] else { return [] }
        var index = lowerBound.map { table.lowerBound($0) } ?? 0
        var result: [KeyValue] = []
        while index < table.count, result.count < limit {
            let key = table.key(at: index)
            if let upperBound, compareKeys(key, upperBound) >= 0 { break }
            result.append(KeyValue(key: key, value: table.value(at: index)))
            index += 1
        }
        return result
    }
}

/// The rebuild's state: per key space, every write in order (most are new keys), with a hash index built
/// the first time the space is read and kept from then on (offices, licences, certificates, units).
struct RebuildState: ProjectionState, Sendable {
    /// The key spaces of one lane, and their tables, made up front: the tasks that fold the lane's pages one
    /// after another share these tables.
    let spaces: [KeySpace]
    let byFirstByte: [TablesByFirstByte]

    init(spaces: [KeySpace]) {
        self.spaces = spaces
        byFirstByte = spaces.map { _ in TablesByFirstByte() }
    }

    /// The tables of `space` (a scan of a dozen names: cheaper than hashing one for each write).
    func tables(_ space: KeySpace) -> TablesByFirstByte? { spaces.firstIndex(of: space).map { byFirstByte[$0] } }

    func value(_ key: StateKey) throws -> [UInt8]? { tables(key.space)?.table(first: key.key.first ?? 0)?.value(key.key) }

    mutating func put(_ key: StateKey, _ value: [UInt8]) { tables(key.space)!.making(first: key.key.first ?? 0).write(key.key, value) }

    mutating func delete(_ key: StateKey) { tables(key.space)!.making(first: key.key.first ?? 0).write(key.key, nil) }

    /// The record is encoded into `writer`, reused for every record the lane writes, and copied from there into
    /// the table's arena: no array is allocated and freed for each of the rebuild's millions of records.
    private var writer = ProtoWriter(capacity: 1024)

    mutating func put(_ key: StateKey, record: some HandEncodedRecord) {
        writer.reset()
        record.write(to: &writer)
        put(key, writer.bytes)
    }
}

/// One key space's tables in a lane, one for each first byte of a key: a table read back (the units' states)
/// then indexes only its own keys, not the key space's others, which are never read, and each byte's tables
/// sort on their own.
final class TablesByFirstByte: @unchecked Sendable {
    @exclusivity(unchecked) private var tables = [RebuildTable?](repeating: nil, count: 256)

    func table(first byte: UInt8) -> RebuildTable? { tables[Int(byte)] }

    func making(first byte: UInt8) -> RebuildTable {
        if let table = tables[Int(byte)] { return table }
        let table = RebuildTable()
        tables[Int(byte)] = table
        return table
    }
}

/// How many pages each lane of a rebuild has folded, for the reader to wait on; a lane that ended (its
/// pages done, or failed) no longer holds the reader back.
final class LaneProgress: Sendable {
    private struct State {
        var pages: [Int]
        var stopped = false
        var waiter: (pages: Int, continuation: CheckedContinuation<Void, Never>)?
    }
    private let state: Mutex<State>

    init(lanes: Int) { state = Mutex(State(pages: Array(repeating: 0, count: lanes))) }

    /// Whether a lane ended before the reader did (it failed: the rebuild stops reading).
    var stopped: Bool { state.withLock { $0.stopped } }

    func finished(lane: Int) { update { $0.pages[lane] += 1 } }

    func stop(lane: Int) {
        update {
            $0.pages[lane] = .max
            $0.stopped = true
        }
    }

    /// Returns once every lane has folded `pages` pages, or one has ended.
    func wait(untilEveryLaneFolded pages: Int) async {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Bool in
                guard !state.stopped, state.pages.min()! < pages else { return true }
                state.waiter = (pages, continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }

    private func update(_ change: (inout State) -> Void) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            change(&state)
            guard let waiter = state.waiter, state.stopped || state.pages.min()! >= waiter.pages else { return nil }
            state.waiter = nil
            return waiter.continuation
        }
        waiter?.resume()
    }
}

/// A live projection compared with its rebuild.
public struct ProjectionComparison: Hashable, Sendable {
    /// The key space.
    public let space: KeySpace
    /// The live digest.
    public let live: SHA256Digest
    /// The rebuilt digest.
    public let rebuilt: SHA256Digest
    /// Whether they are equal.
    public var matches: Bool { live == rebuilt }
}

extension Platform {
    /// Folds the log's events `1 ... end` into fresh, in-memory projections, from `snapshot`.
    ///
    /// Pipelined: the lanes (`RebuildLane`) fold pages of events, each on its own task, while the next pages
    /// are read and decoded. `progress` is called as every lane has folded a page, with the events folded and `end`.
    static func rebuild(through end: SequenceNumber, in snapshot: any StoreSnapshot, log: (any EventStore)? = nil, pageSize: Int = 4096,
                        progress: (@Sendable (UInt64, UInt64) -> Void)? = nil) async throws -> RebuiltProjections {
        let lanes = RebuildLane.all
        let states = lanes.map { lane in RebuildState(spaces: lane.projections.flatMap(\.keySpaces)) }
        // Each lane is a task folding every page in order, so no lane waits for another at the end of a page;
        // the reader hands each page to every lane and stays at most `pagesAhead` pages ahead of the slowest.
        // Structured: the lanes inherit the caller's task executor preference, and a failure ends them all.
        let pagesAhead = 3
        let folded = LaneProgress(lanes: lanes.count)
        let feeds = lanes.map { _ in AsyncStream.makeStream(of: [(DomainEvent?, EventEnvelope)].self) }
        let through = try await withThrowingTaskGroup(of: Void.self, returning: SequenceNumber.self) { group in
            for index in lanes.indices {
                let (lane, state, pages) = (lanes[index], states[index], feeds[index].stream)
                group.addTask {
                    defer { folded.stop(lane: index) }
                    var state = state
                    for await decoded in pages {
                        for (event, envelope) in decoded where lane.folds(event, envelope: envelope) {
                            for projection in lane.projections { try projection.apply(event, envelope: envelope, to: &state) }
                        }
                        folded.finished(lane: index)
                    }
                }
            }
            defer { for feed in feeds { feed.continuation.finish() } }
            var next = SequenceNumber.first
            var lastOfPage: [UInt64] = []
            while next <= end, !folded.stopped {
                let page = try await snapshot.events(from: next, limit: min(pageSize, Int(end.rawValue - next.rawValue + 1)))
                guard let last = page.last else { break }
                // Decoded once for every lane, without the fields no projection folds (a fifth of the rebuild's CPU).
                let decoded = try page.map { (try DomainEvent(foldingKind: $0.envelope.kind, body: $0.body), $0.envelope) }
                for feed in feeds { feed.continuation.yield(decoded) }
                lastOfPage.append(last.sequence.rawValue)
                next = last.sequence.next
                if lastOfPage.count > pagesAhead {
                    let pages = lastOfPage.count - pagesAhead
                    await folded.wait(untilEveryLaneFolded: pages)
                    progress?(lastOfPage[pages - 1], end.rawValue)
                }
            }
            for feed in feeds { feed.continuation.finish() }
            try await group.waitForAll()
            if let last = lastOfPage.last { progress?(last, end.rawValue) }
            return SequenceNumber(next.rawValue - 1)
        }
        return await RebuiltProjections(through: min(end, through), states: states, log: log)
    }

    /// Rebuilds every projection from the log and compares it, by digest, with the live one in the same
    /// snapshot: equal digests mean equal bytes.
    public func verifyProjections() async throws(DomainError) -> [ProjectionComparison] {
        try await guarded { try await store.read { snapshot in try await Self.compareProjections(in: snapshot) } }
    }

    /// The same on any snapshot (a read-only open of a live store, for the operator's `verify`); `progress`
    /// follows the replay (events folded, last event).
    public static func compareProjections(in snapshot: any StoreSnapshot,
                                          progress: (@Sendable (UInt64, UInt64) -> Void)? = nil) async throws -> [ProjectionComparison] {
        let end = try await snapshot.latestSequence()
        let rebuilt = try await rebuild(through: end, in: snapshot, progress: progress).digests
        var comparisons: [ProjectionComparison] = []
        for space in ProjectionSpaces.all {
            comparisons.append(ProjectionComparison(space: space, live: try await snapshot.digest(of: space), rebuilt: rebuilt[space]!))
        }
        return comparisons
    }

    /// Replaces every projection whose live bytes differ from a rebuild from the log with the rebuild, and
    /// returns the key spaces replaced. For a store no server is writing: each space is written in pages of
    /// `pageSize` entries (a large projection does not fit one write), so an interrupted rebuild leaves a
    /// projection that `verifyProjections` reports and a second rebuild replaces.
    public func rebuildProjections(pageSize: Int = 10_000, progress: (@Sendable (UInt64, UInt64) -> Void)? = nil) async throws(DomainError) -> [KeySpace] {
        try await guarded {
            let (end, rebuilt, differing) = try await store.read { snapshot in
                let end = try await snapshot.latestSequence()
                let rebuilt = try await Self.rebuild(through: end, in: snapshot, progress: progress)
                var differing: [KeySpace] = []
                for space in ProjectionSpaces.all where try await snapshot.digest(of: space) != rebuilt.digests[space] { differing.append(space) }
                return (end, rebuilt, differing)
            }
            for space in differing {
                var after: [UInt8]? = nil
                var first = true
                while true {
                    // `entries(from:)` starts at `after` itself: ask for one more and drop it.
                    var page = try await rebuilt.entries(in: space, from: after, to: nil, limit: pageSize + (after == nil ? 0 : 1))
                    if let after, page.first?.key == after { page.removeFirst() }
                    if page.isEmpty, !first { break }
                    let changes: [KeyChange] = (first ? [.clear(space)] : []) + page.map { .put(space, key: $0.key, value: $0.value) }
                    _ = try await store.commit(StoreWrite(conditions: [.logEnds(at: end)], changes: changes))
                    first = false
                    guard page.count == pageSize, let last = page.last?.key else { break }
                    after = last
                }
            }
            return differing
        }
    }

    /// Removes what projections of earlier versions held and this one does not — the copy of each upload
    /// (without its signature) that the units key space held before version 0.15 — so the live projections
    /// equal a rebuild again; returns how many entries went. A server runs it as it starts; on a store without
    /// them it is one empty range read.
    public func upgradeProjections(pageSize: Int = 10_000) async throws(DomainError) -> Int {
        let space = ProjectionSpaces.units, prefix = Keys.legacyUnitUploadPrefix
        return try await sweep(space, from: prefix, to: Keys.end(of: prefix), pageSize: pageSize, by: .system, request: .random()) { entry, decision, _ in
            decision.changes.append(.delete(space, key: entry.key))
            return [entry.key]
        }.count
    }

    /// The live projections' digests, in one snapshot.
    public func liveDigests() async throws(DomainError) -> [KeySpace: SHA256Digest] {
        try await guarded {
            try await store.read { snapshot in
                var digests: [KeySpace: SHA256Digest] = [:]
                for space in ProjectionSpaces.all { digests[space] = try await snapshot.digest(of: space) }
                return digests
            }
        }
    }

    /// A read-only view of the projections as they were right after event `sequence` (clamped to the log).
    public func view(asOf sequence: SequenceNumber) async throws(DomainError) -> RebuiltProjections {
        try await guarded {
            try await store.read { snapshot in
                try await Self.rebuild(through: min(sequence, try await snapshot.latestSequence()), in: snapshot, log: store)
            }
        }
    }

    /// A read-only view of the projections as they were at `time`: after every event committed at or before it.
    public func view(asOf time: Timestamp) async throws(DomainError) -> RebuiltProjections {
        try await guarded {
            try await store.read { snapshot in
                try await Self.rebuild(through: try await Self.lastSequence(atOrBefore: time, in: snapshot), in: snapshot, log: store)
            }
        }
    }

    /// The last event committed at or before `time` (zero when none): timestamps never go backwards along the log.
    public static func lastSequence(atOrBefore time: Timestamp, in snapshot: any StoreSnapshot) async throws -> SequenceNumber {
        var low: UInt64 = 0, high = try await snapshot.latestSequence().rawValue
        while low < high {
            let middle = (low + high + 1) / 2
            let envelope = try await snapshot.envelopes(from: SequenceNumber(middle), limit: 1)[0]
            if envelope.timestamp <= time { low = middle } else { high = middle - 1 }
        }
        return SequenceNumber(low)
    }

    /// The view after event `sequence` (clamped to the log) from any snapshot; `progress` follows the replay.
    /// It answers no unit's detail (`PlatformQueries.unit`): the files are read from the log, and the snapshot ends
    /// before the view does.
    public static func view(asOf sequence: SequenceNumber, in snapshot: any StoreSnapshot,
                            progress: (@Sendable (UInt64, UInt64) -> Void)? = nil) async throws -> RebuiltProjections {
        try await rebuild(through: min(sequence, try await snapshot.latestSequence()), in: snapshot, progress: progress)
    }
}
