public import RenkeiCrypto
public import RenkeiModel
public import RenkeiStore

/// The projections folded from the log in memory: the rebuild that proves the live ones, and the
/// read-only view of the platform as it was at a sequence number or a time.
public struct RebuiltProjections: ProjectionReader, Sendable {
    /// The last event folded.
    public let through: SequenceNumber
    private let spaces: [KeySpace: [KeyValue]]

    init(through: SequenceNumber, state: RebuildState) {
        self.through = through
        var spaces: [KeySpace: [KeyValue]] = [:]
        for space in ProjectionSpaces.all { spaces[space] = [] }
        for (key, value) in state.values { spaces[key.space, default: []].append(KeyValue(key: key.key, value: value)) }
        self.spaces = spaces.mapValues { $0.sorted { $0.key.lexicographicallyPrecedes($1.key) } }
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
            if let upperBound, !entries[index].key.lexicographicallyPrecedes(upperBound) { break }
            result.append(entries[index])
            index += 1
        }
        return result
    }

    private func lowerBound(_ entries: [KeyValue], _ key: [UInt8]) -> Int {
        var low = 0, high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].key.lexicographicallyPrecedes(key) { low = middle + 1 } else { high = middle }
        }
        return low
    }
}

/// The rebuild's state: every projection key in memory.
struct RebuildState: ProjectionState {
    var values: [StateKey: [UInt8]] = [:]

    func value(_ key: StateKey) throws -> [UInt8]? { values[key] }
    mutating func put(_ key: StateKey, _ value: [UInt8]) { values[key] = value }
    mutating func delete(_ key: StateKey) { values[key] = nil }
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
        return RebuiltProjections(through: min(end, SequenceNumber(next.rawValue - 1)), state: state)
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
