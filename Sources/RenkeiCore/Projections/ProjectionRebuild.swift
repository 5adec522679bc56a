import Glibc
public import RenkeiCrypto
public import RenkeiModel
public import RenkeiStore

/// The projections folded from the log in memory: the rebuild that proves the live ones, and the
/// read-only view of the platform as it was at a sequence number or a time.
public struct RebuiltProjections: ProjectionReader, Sendable {
    /// The last event folded.
    public let through: SequenceNumber
    private let spaces: [KeySpace: [KeyValue]]

    init(through: SequenceNumber, state: RebuildState) async {
        self.through = through
        // Each key space is sorted and compacted on its own task.
        let tables = state.tables
        self.spaces = await withTaskGroup(of: (KeySpace, [KeyValue]).self) { group in
            for space in ProjectionSpaces.all {
                group.addTask { (space, tables[space.name]?.sortedEntries() ?? []) }
            }
            var spaces: [KeySpace: [KeyValue]] = [:]
            for await (space, entries) in group { spaces[space] = entries }
            return spaces
        }
    }

    /// Each projection key space's digest (`KeySpaceDigest`), comparable with `StoreSnapshot.digest(of:)`.
    public var digests: [KeySpace: SHA256Digest] {
        spaces.mapValues { entries in
            var digest = KeySpaceDigest()
            for entry in entries { digest.add(key: entry.key, value: entry.value) }
            return digest.finalize()
        }
    }

    /// Queries over this view.
    public var queries: PlatformQueries { PlatformQueries(self) }

    public func value(forKey key: [UInt8], in space: KeySpace) async throws -> [UInt8]? {
        guard let entries = spaces[space] else { return nil }
        let index = lowerBound(entries, key)
        return index < entries.count && entries[index].key == key ? entries[index].value : nil
    }

    public func entries(in space: KeySpace, from lowerBound: [UInt8]?, to upperBound: [UInt8]?, limit: Int) async throws -> [KeyValue] {
        guard let entries = spaces[space] else { return [] }
        var index = lowerBound.map { self.lowerBound(entries, $0) } ?? 0
        var result: [KeyValue] = []
        while index < entries.count, result.count < limit {
            if let upperBound, !ByteOrder.less(entries[index].key, upperBound) { break }
            result.append(entries[index])
            index += 1
        }
        return result
    }

    private func lowerBound(_ entries: [KeyValue], _ key: [UInt8]) -> Int {
        var low = 0, high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if ByteOrder.less(entries[middle].key, key) { low = middle + 1 } else { high = middle }
        }
        return low
    }
}

/// The rebuild's state: per key space, every write in order (most are new keys), with a hash index built
/// the first time the space is read and kept from then on (offices, licences, certificates, units).
struct RebuildState: ProjectionState {
    var tables: [String: RebuildTable] = [:]

    func value(_ key: StateKey) throws -> [UInt8]? { tables[key.space.name]?.value(key.key) }

    mutating func put(_ key: StateKey, _ value: [UInt8]) { table(key.space).write(key.key, value) }

    mutating func delete(_ key: StateKey) { table(key.space).write(key.key, nil) }

    private mutating func table(_ space: KeySpace) -> RebuildTable {
        if let table = tables[space.name] { return table }
        let table = RebuildTable()
        tables[space.name] = table
        return table
    }
}

/// One key space's writes, in order; the last write of a key wins, a nil value deletes it.
final class RebuildTable: @unchecked Sendable {
    private var keys: [[UInt8]] = []
    private var values: [[UInt8]?] = []
    private var index: [HashedKey: Int]?

    func write(_ key: [UInt8], _ value: [UInt8]?) {
        index?[HashedKey(key)] = keys.count
        keys.append(key)
        values.append(value)
    }

    func value(_ key: [UInt8]) -> [UInt8]? {
        if index == nil {
            var built: [HashedKey: Int] = [:]
            built.reserveCapacity(keys.count)
            for (position, key) in keys.enumerated() { built[HashedKey(key)] = position }
            index = built
        }
        return index![HashedKey(key)].flatMap { values[$0] }
    }

    /// The live entries in key order: the writes sorted by key (their first 16 bytes as two integers, the
    /// rest by memcmp), then by position, keeping each key's last write.
    func sortedEntries() -> [KeyValue] {
        struct Slot { var high: UInt64; var low: UInt64; var position: Int }
        var slots = keys.enumerated().map { position, key in
            key.withUnsafeBytes { raw in
                var high: UInt64 = 0, low: UInt64 = 0
                for offset in 0..<min(16, raw.count) {
                    if offset < 8 { high |= UInt64(raw[offset]) << (56 - 8 * offset) } else { low |= UInt64(raw[offset]) << (56 - 8 * (offset - 8)) }
                }
                return Slot(high: high, low: low, position: position)
            }
        }
        let keys = keys
        slots.sort { a, b in
            if a.high != b.high { return a.high < b.high }
            if a.low != b.low { return a.low < b.low }
            if keys[a.position] != keys[b.position] { return ByteOrder.less(keys[a.position], keys[b.position]) }
            return a.position < b.position
        }
        var entries: [KeyValue] = []
        entries.reserveCapacity(slots.count)
        var index = 0
        while index < slots.count {
            var last = index
            while last + 1 < slots.count, slots[last + 1].high == slots[index].high, slots[last + 1].low == slots[index].low,
                  keys[slots[last + 1].position] == keys[slots[index].position] { last += 1 }
            if let value = values[slots[last].position] { entries.append(KeyValue(key: keys[slots[last].position], value: value)) }
            index = last + 1
        }
        return entries
    }
}

/// Key bytes hashed as one block (an array of bytes hashes byte by byte otherwise).
struct HashedKey: Hashable, Sendable {
    let bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    func hash(into hasher: inout Hasher) { bytes.withUnsafeBytes { hasher.combine(bytes: $0) } }
    static func == (lhs: HashedKey, rhs: HashedKey) -> Bool { lhs.bytes == rhs.bytes }
}

/// Bytewise order of keys (the order of every store's key spaces), by memcmp.
enum ByteOrder {
    @inline(__always)
    static func less(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { y in
                let common = min(x.count, y.count)
                if common > 0 {
                    let order = memcmp(x.baseAddress!, y.baseAddress!, common)
                    if order != 0 { return order < 0 }
                }
                return x.count < y.count
            }
        }
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
    func rebuild(through end: SequenceNumber, in snapshot: any StoreSnapshot, pageSize: Int = 2048) async throws -> RebuiltProjections {
        var state = RebuildState()
        var next = SequenceNumber.first
        while next <= end {
            let page = try await snapshot.events(from: next, limit: min(pageSize, Int(end.rawValue - next.rawValue + 1)))
            guard !page.isEmpty else { break }
            for event in page {
                let domain = try DomainEvent(kind: event.envelope.kind, body: event.body)
                for projection in projections { try projection.apply(domain, envelope: event.envelope, to: &state) }
            }
            next = page.last!.sequence.next
        }
        return await RebuiltProjections(through: min(end, SequenceNumber(next.rawValue - 1)), state: state)
    }

    /// Rebuilds every projection from the log and compares it, by digest, with the live one in the same
    /// snapshot: equal digests mean equal bytes.
    public func verifyProjections() async throws(DomainError) -> [ProjectionComparison] {
        try await guarded {
            try await store.read { snapshot in
                let end = try await snapshot.latestSequence()
                let rebuilt = try await rebuild(through: end, in: snapshot).digests
                var comparisons: [ProjectionComparison] = []
                for space in ProjectionSpaces.all {
                    comparisons.append(ProjectionComparison(space: space, live: try await snapshot.digest(of: space), rebuilt: rebuilt[space]!))
                }
                return comparisons
            }
        }
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
                try await rebuild(through: min(sequence, try await snapshot.latestSequence()), in: snapshot)
            }
        }
    }

    /// A read-only view of the projections as they were at `time`: after every event committed at or before it.
    public func view(asOf time: Timestamp) async throws(DomainError) -> RebuiltProjections {
        try await guarded {
            try await store.read { snapshot in
                // Timestamps never go backwards along the log: find the last event at or before `time`.
                var low: UInt64 = 0, high = try await snapshot.latestSequence().rawValue
                while low < high {
                    let middle = (low + high + 1) / 2
                    let envelope = try await snapshot.envelopes(from: SequenceNumber(middle), limit: 1)[0]
                    if envelope.timestamp <= time { low = middle } else { high = middle - 1 }
                }
                return try await rebuild(through: SequenceNumber(low), in: snapshot)
            }
        }
    }
}
