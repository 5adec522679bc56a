import Foundation
import RenkeiCrypto
public import RenkeiModel
public import RenkeiStore

/// How long a unit's files are kept (its metadata and hashes stay for ever, so the audit still verifies).
public struct RetentionPolicy: Hashable, Sendable {
    /// Days after the first download.
    public var downloadedDays: UInt32
    /// Days after the upload, for a unit never downloaded (or withdrawn).
    public var undownloadedDays: UInt32

    /// A policy.
    public init(downloadedDays: UInt32, undownloadedDays: UInt32) {
        self.downloadedDays = downloadedDays
        self.undownloadedDays = undownloadedDays
    }
}

extension Platform {
    /// Sets the retention policy (operators only); each period is 1 to 3,650 days.
    @discardableResult
    public func setRetentionPolicy(_ policy: RetentionPolicy, by actor: Actor, request: RequestID = .random()) async throws(DomainError) -> SequenceNumber {
        try Self.requireOperator(actor)
        guard (1...3650).contains(policy.downloadedDays), (1...3650).contains(policy.undownloadedDays) else {
            throw DomainError(.invalidArgument, "retention periods are 1 to 3650 days")
        }
        return try await decideAndCommit(by: actor, request: request) { decision, _ in
            var event = PBRetentionPolicySet()
            event.downloadedDays = policy.downloadedDays
            event.undownloadedDays = policy.undownloadedDays
            decision.events.append(.retentionPolicySet(event))
        }
    }

    /// The policy in force: the last one set, or the configuration's defaults.
    public func retentionPolicy() async throws(DomainError) -> RetentionPolicy {
        try await guarded {
            try await store.read { snapshot in try await self.retentionPolicy(DecisionReader(snapshot: snapshot)) }
        }
    }

    func retentionPolicy(_ reader: DecisionReader) async throws -> RetentionPolicy {
        guard let set = try await reader.record(PBRetentionPolicySet.self, at: Keys.retention) else {
            return RetentionPolicy(downloadedDays: configuration.defaultDownloadedRetentionDays,
                                   undownloadedDays: configuration.defaultUndownloadedRetentionDays)
        }
        return RetentionPolicy(downloadedDays: set.downloadedDays, undownloadedDays: set.undownloadedDays)
    }

    /// Purges the files of every unit past its retention period at `now` (the platform's clock by
    /// default): the bytes are released, PayloadPurged is recorded; the unit's metadata and hashes stay.
    /// Returns the units purged.
    @discardableResult
    public func applyRetention(at now: Timestamp? = nil, by actor: Actor = .system, request: RequestID = .random()) async throws(DomainError) -> [SequenceNumber] {
        try Self.requireOperator(actor)
        let now = now ?? configuration.clock()
        return try await sweep(ProjectionSpaces.units, from: Keys.unitStatePrefix, to: Keys.end(of: Keys.unitStatePrefix), pageSize: 128,
                               by: actor, request: request) { entry, decision, reader in
            let scanned = try PBUnitRecord(serializedBytes: entry.value)
            guard !scanned.purged, Self.isDue(scanned, policy: try await self.retentionPolicy(reader), now: now),
                  let unit = try await reader.unit(scanned.sequence) else { return [] }
            var event = PBPayloadPurged()
            event.unit = unit.sequence
            event.sha256 = unit.upload.files.map(\.sha256)
            event.reason = "retention"
            event.sender = unit.upload.sender
            event.recipient = unit.upload.recipient
            decision.events.append(.payloadPurged(event))
            decision.releasedBlobs += unit.upload.files.compactMap { SHA256Digest(bytes: $0.sha256) }
            return [SequenceNumber(unit.sequence)]
        }
    }

    /// Whether a unit's files are past the policy's period at `now`: counted from the first download, or
    /// from the upload (or its withdrawal) for a unit never downloaded.
    static func isDue(_ unit: PBUnitRecord, policy: RetentionPolicy, now: Timestamp) -> Bool {
        let day: Int64 = 86_400_000_000
        if unit.firstDownloadMicros != 0 { return unit.firstDownloadMicros + Int64(policy.downloadedDays) * day <= now.rawValue }
        let since = unit.history.last(where: { $0.status == .withdrawn })?.micros ?? unit.uploadedMicros
        let days = unit.status == .withdrawn ? policy.downloadedDays : policy.undownloadedDays
        return since + Int64(days) * day <= now.rawValue
    }

    /// Signs the log's current tree size and root with the platform's checkpoint key and records it as a
    /// CheckpointSigned event (operators and the platform's schedule). Returns the signed note.
    @discardableResult
    public func signCheckpoint(by actor: Actor = .system, request: RequestID = .random()) async throws(DomainError) -> String {
        try Self.requireOperator(actor)
        guard let signer = configuration.checkpointSigner else { throw DomainError(.noSigningKey, "configure a checkpoint key") }
        let clock = configuration.clock
        return try await guarded {
            try await execute(by: actor, request: request) { decision, reader in
                let size = try await reader.snapshot.latestSequence()
                let root = try await reader.snapshot.merkleRoot(treeSize: size.rawValue)
                let checkpoint = try Checkpoint(origin: signer.origin, treeSize: size.rawValue, rootHash: root,
                                                timestamp: Date(timeIntervalSince1970: Double(clock().rawValue) / 1_000_000))
                let note = try checkpoint.signedNote(key: signer.key, keyName: signer.keyName)
                var event = PBCheckpointSigned()
                event.treeSize = size.rawValue
                event.root = Data(root.bytes)
                event.note = note
                decision.events.append(.checkpointSigned(event))
                decision.conditions.append(.logEnds(at: size))
                decision.changes.append(.put(.checkpoints, key: size.bigEndianBytes, value: Array(note.utf8)))
                return note
            }.result
        }
    }
}

extension Platform {
    /// Signs a checkpoint if the log grew since the last one (returns nil when it did not): what the
    /// platform's schedule calls.
    @discardableResult
    public func signCheckpointIfAdvanced(by actor: Actor = .system) async throws(DomainError) -> String? {
        let (size, signed) = try await guarded {
            try await store.read { snapshot in
                let last = try await snapshot.value(forKey: Keys.latestCheckpoint.key, in: Keys.latestCheckpoint.space)
                    .map { try PBCheckpointSigned(serializedBytes: $0).treeSize } ?? 0
                return (try await snapshot.latestSequence().rawValue, last)
            }
        }
        // The last CheckpointSigned event is itself the log's last event when nothing else happened since.
        guard size > signed + 1 else { return nil }
        return try await signCheckpoint(by: actor)
    }

    /// The last signed checkpoint: its tree size and signed note; nil before the first.
    public func latestCheckpoint() async throws(DomainError) -> (treeSize: UInt64, note: String)? {
        try await guarded {
            try await store.read { snapshot in
                try await snapshot.value(forKey: Keys.latestCheckpoint.key, in: Keys.latestCheckpoint.space)
                    .map { try PBCheckpointSigned(serializedBytes: $0) }
                    .map { ($0.treeSize, $0.note) }
            }
        }
    }

    /// Signs a checkpoint every `interval` while the log grows, until the task is cancelled.
    public func runCheckpointSchedule(every interval: Duration) async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: interval) } catch { return }
            _ = try? await signCheckpointIfAdvanced()
        }
    }
}
