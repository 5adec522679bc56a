import RenkeiModel
import RenkeiStore

/// A key in a table, with its hash computed once: a key is probed in several layers, and an array of
/// bytes would be hashed byte by byte at each.
struct StoreKey: Hashable, Sendable {
    let bytes: [UInt8]
    private let fingerprint: UInt64

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        // FNV-1a over 8-byte words, then a final mix; the dictionary hashes this with its own seed.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(bytes.count)
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset + 8 <= raw.count {
                hash = (hash ^ raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) &* 0x0000_0100_0000_01b3
                hash ^= hash >> 29
                offset += 8
            }
            while offset < raw.count {
                hash = (hash ^ UInt64(raw[offset])) &* 0x0000_0100_0000_01b3
                offset += 1
            }
        }
        fingerprint = hash ^ (hash >> 32)
    }

    func hash(into hasher: inout Hasher) { hasher.combine(fingerprint) }

    static func == (a: StoreKey, b: StoreKey) -> Bool { a.fingerprint == b.fingerprint && a.bytes == b.bytes }

    @inline(__always)
    static func precedes(_ a: StoreKey, _ b: StoreKey) -> Bool { compareKeys(a.bytes, b.bytes) < 0 }
}

/// What a run of writes did to one table (one LMDB database): whether it was cleared first, and each
/// key's new value (nil: deleted). Final values only, so applying the same changes twice, or on top of a
/// state that already holds some of them, gives the same table: recovery relies on that.
struct TableChanges {
    var cleared = false
    var values: [StoreKey: [UInt8]?] = [:]

    /// What these changes say about `key`: a value, a deletion (`.some(nil)`), or nothing (`nil`: look below).
    @inline(__always)
    func lookup(_ key: StoreKey) -> [UInt8]?? {
        if let found = values[key] { return .some(found) }
        return cleared ? .some(nil) : nil
    }

    /// Bytes of keys and values, roughly what the changes hold in memory.
    var bytes: Int {
        values.reduce(0) { $0 + $1.key.bytes.count + ($1.value?.count ?? 0) + 16 }
    }
}

/// A table's changes in a published change set: frozen, with the keys sorted for ordered reads.
struct FrozenTable: Sendable {
    /// A key's newest word: its value, or nil when it was deleted.
    struct Entry: Sendable {
        let key: StoreKey
        let value: [UInt8]?
    }

    let cleared: Bool
    let values: [StoreKey: [UInt8]?]
    /// `values` in LMDB's key order, for ordered reads.
    let sorted: [Entry]

    init(_ changes: TableChanges) {
        cleared = changes.cleared
        values = changes.values
        sorted = changes.values.map { Entry(key: $0.key, value: $0.value) }.sorted { StoreKey.precedes($0.key, $1.key) }
    }

    private init(cleared: Bool, sorted: [Entry]) {
        self.cleared = cleared
        self.sorted = sorted
        var values: [StoreKey: [UInt8]?] = [:]
        values.reserveCapacity(sorted.count)
        for entry in sorted { values[entry.key] = .some(entry.value) }
        self.values = values
    }

    /// The tables' changes in order (oldest first) as one: each key's newest word. The tables are already
    /// in key order, so they are merged, not sorted again: the smallest key at the tables' heads comes next,
    /// from the newest table holding it.
    static func merged(_ tables: [FrozenTable]) -> FrozenTable {
        let start = tables.lastIndex(where: \.cleared) ?? 0
        let run = Array(tables[start...])
        var heads = [Int](repeating: 0, count: run.count)
        var merged: [Entry] = []
        merged.reserveCapacity(run.reduce(0) { $0 + $1.sorted.count })
        while true {
            // The newest table whose head is smallest: scanning newest first, only a strictly smaller key wins.
            var best = -1
            for index in run.indices.reversed() where heads[index] < run[index].sorted.count {
                if best < 0 || StoreKey.precedes(run[index].sorted[heads[index]].key, run[best].sorted[heads[best]].key) { best = index }
            }
            guard best >= 0 else { break }
            let entry = run[best].sorted[heads[best]]
            merged.append(entry)
            for index in run.indices where heads[index] < run[index].sorted.count && run[index].sorted[heads[index]].key == entry.key {
                heads[index] += 1
            }
        }
        return FrozenTable(cleared: run[0].cleared, sorted: merged)
    }

    /// The index of the first key at or after `bound` (0 for nil).
    func firstIndex(atOrAfter bound: [UInt8]?) -> Int {
        guard let bound, !bound.isEmpty else { return 0 }
        var low = 0, high = sorted.count
        while low < high {
            let middle = (low + high) / 2
            if compareKeys(sorted[middle].key.bytes, bound) < 0 { low = middle + 1 } else { high = middle }
        }
        return low
    }
}

/// Acknowledged changes that LMDB does not hold yet: one group commit's, or several merged. Readers
/// layer the published change sets over an LMDB snapshot; the checkpointer applies them to LMDB.
final class ChangeSet: Sendable {
    /// Changes by table (`Database.id`).
    let tables: [UInt32: FrozenTable]
    /// The first and last group commits whose changes these are.
    let groups: ClosedRange<UInt64>
    /// The write-ahead log's position after the last of those groups, and that group's record hash.
    let walEnd: WALPosition
    /// The log's last sequence after these changes.
    let latest: SequenceNumber
    /// What the change set holds in memory, roughly.
    let bytes: Int
    /// How many rounds of merging made it (0: one group's).
    let tier: Int

    convenience init(tables: [UInt32: TableChanges], groups: ClosedRange<UInt64>, walEnd: WALPosition, latest: SequenceNumber) {
        self.init(frozen: tables.mapValues(FrozenTable.init), groups: groups, walEnd: walEnd, latest: latest,
                  bytes: tables.values.reduce(0) { $0 + $1.bytes }, tier: 0)
    }

    private init(frozen: [UInt32: FrozenTable], groups: ClosedRange<UInt64>, walEnd: WALPosition, latest: SequenceNumber, bytes: Int, tier: Int) {
        self.tier = tier
        self.tables = frozen
        self.groups = groups
        self.walEnd = walEnd
        self.latest = latest
        self.bytes = bytes
    }

    /// One change set holding the changes of `sets` (oldest first), in order.
    static func merged(_ sets: [ChangeSet]) -> ChangeSet {
        var byTable: [UInt32: [FrozenTable]] = [:]
        for set in sets {
            for (id, table) in set.tables { byTable[id, default: []].append(table) }
        }
        return ChangeSet(frozen: byTable.mapValues { $0.count == 1 ? $0[0] : FrozenTable.merged($0) },
                         groups: sets.first!.groups.lowerBound ... sets.last!.groups.upperBound, walEnd: sets.last!.walEnd,
                         latest: sets.last!.latest, bytes: sets.reduce(0) { $0 + $1.bytes }, tier: (sets.map(\.tier).max() ?? 0) + 1)
    }
}

/// The changes of the group being committed. The write being applied changes the group directly and
/// keeps an undo list, so that a write that fails is taken back alone and one that succeeds costs nothing
/// more.
struct GroupChanges {
    private(set) var tables: [UInt32: TableChanges] = [:]
    /// How to take back the current write: each table it touched as it was before (nil: absent).
    private var undo: [(id: UInt32, key: StoreKey?, before: TableChanges?, value: [UInt8]??)] = []

    /// What the group says about `key` in table `id` (nil: look below).
    func lookup(_ id: UInt32, _ key: StoreKey) -> [UInt8]?? {
        tables[id]?.lookup(key)
    }

    mutating func put(_ id: UInt32, _ key: StoreKey, _ value: [UInt8]) { set(id, key, value) }

    mutating func delete(_ id: UInt32, _ key: StoreKey) { set(id, key, nil) }

    private mutating func set(_ id: UInt32, _ key: StoreKey, _ value: [UInt8]?) {
        if tables[id] == nil {
            undo.append((id, nil, nil, nil))
            tables[id] = TableChanges()
        }
        undo.append((id, key, nil, tables[id]!.values[key]))
        tables[id]!.values[key] = .some(value)
    }

    mutating func clear(_ id: UInt32) {
        undo.append((id, nil, tables[id], nil))
        tables[id] = TableChanges(cleared: true, values: [:])
    }

    /// The current write succeeded: its changes stay in the group.
    mutating func keepWrite() { undo.removeAll(keepingCapacity: true) }

    /// The current write failed: its changes are taken back, newest first.
    mutating func dropWrite() {
        for step in undo.reversed() {
            if let key = step.key {
                tables[step.id]!.values[key] = step.value
            } else {
                tables[step.id] = step.before
            }
        }
        undo.removeAll(keepingCapacity: true)
    }
}
