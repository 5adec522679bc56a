import RenkeiCrypto
import RenkeiLMDB
import RenkeiMerkle
import RenkeiModel
import RenkeiStore
import RenkeiZstd

/// A write with its CPU work done in the caller's task: bodies compressed, dictionaries parsed.
struct PreparedWrite: @unchecked Sendable {
    let write: StoreWrite
    let frames: [[UInt8]]
    let dictionaries: [ZstdDictionary]
    /// What it holds in the writer's queue, in bytes.
    let size: Int
}

/// What the writer knows of the log's end: the last sequence, the Merkle frontier and the last commit
/// time. Only the writer thread changes it.
struct WriterState: Sendable {
    var latest: SequenceNumber
    var frontier: MerkleFrontier
    var lastTimestamp: Timestamp

    static func load(_ view: StoreView) throws -> WriterState {
        let latest = try view.latest()
        let frontier = try MerkleFrontier(size: latest.rawValue, nodes: view.merkleNodes)
        var lastTimestamp = Timestamp(rawValue: .min)
        if latest > .zero {
            lastTimestamp = try view.withValue(view.store.log, key: sequenceKey(latest)) { value in
                try StoredEvent.decode(value, sequence: latest).envelope.timestamp
            } ?? lastTimestamp
        }
        return WriterState(latest: latest, frontier: frontier, lastTimestamp: lastTimestamp)
    }
}

/// The state a write is decided against and the changes it makes: a snapshot of the store, and the
/// group's changes on top of it (the writes already in the group, and this write's own).
struct Working {
    let view: StoreView
    var changes = GroupChanges()

    func get(_ database: Database, _ key: [UInt8]) throws -> [UInt8]? {
        if let found = changes.lookup(database.id, StoreKey(key)) { return found }
        return try view.get(database, key: key)
    }

    mutating func put(_ database: Database, _ key: [UInt8], _ value: [UInt8]) { changes.put(database.id, StoreKey(key), value) }
    mutating func delete(_ database: Database, _ key: [UInt8]) { changes.delete(database.id, StoreKey(key)) }
    mutating func clear(_ database: Database) { changes.clear(database.id) }
}

/// Applies one prepared write to the group's changes: conditions, dictionaries, blobs, events with their
/// Merkle nodes, then key-space changes. Throws when any part fails; the caller then drops what it did.
struct WriteApplier {
    let store: LogStore
    let limits: StoreLimits
    let clock: @Sendable () -> Timestamp

    func apply(_ prepared: PreparedWrite, in working: inout Working, state: inout WriterState) throws -> CommitReceipt {
        let write = prepared.write
        for condition in write.conditions {
            guard try holds(condition, working, state) else { throw StoreError(.conditionFailed, condition.description) }
        }
        for dictionary in prepared.dictionaries { try install(dictionary, &working) }
        var stored: [SHA256Digest] = []
        for blob in write.blobs where try storeBlob(blob, &working) { stored.append(blob.hash) }
        for hash in write.releasedBlobs { try releaseBlob(hash, &working) }
        var envelopes: [EventEnvelope] = []
        for (event, frame) in zip(write.events, prepared.frames) {
            state.lastTimestamp = max(state.lastTimestamp, clock())
            let envelope = EventEnvelope(sequence: state.latest.next, timestamp: state.lastTimestamp, kind: event.kind, actor: event.actor, requestID: event.requestID)
            try append(envelope, event.body, frame, &working, &state)
            envelopes.append(envelope)
        }
        var changes = write.changes
        if let derive = write.derivedChanges {
            let frontier = state.frontier
            let derived = try derive(CommitContext(events: envelopes, treeSize: frontier.size, root: frontier.root))
            for change in derived {
                _ = try change.validate(limits: limits) { _ = try store.database($0) }
            }
            changes += derived
        }
        for change in changes { try apply(change, &working) }
        return CommitReceipt(events: envelopes, latestSequence: state.latest, storedBlobs: stored)
    }

    private func holds(_ condition: StoreCondition, _ working: Working, _ state: WriterState) throws -> Bool {
        switch condition {
        case .absent(let space, let key):
            return try working.get(store.database(space), key) == nil
        case .unchanged(let space, let key, let value):
            return try working.get(store.database(space), key) == value
        case .logEnds(let sequence):
            return state.latest == sequence
        }
    }

    private func install(_ dictionary: ZstdDictionary, _ working: inout Working) throws {
        let key = dictionaryKey(dictionary.id)
        if let existing = try working.get(store.dictionaries, key) {
            guard existing == dictionary.bytes else {
                throw StoreError(.invalidArgument, "a different dictionary with id \(dictionary.id) is already installed")
            }
            return
        }
        working.put(store.dictionaries, key, dictionary.bytes)
    }

    /// Adds a reference to the blob; stores its bytes if the store does not hold them. Returns whether it did.
    private func storeBlob(_ blob: PreparedBlob, _ working: inout Working) throws -> Bool {
        let key = blob.hash.bytes
        guard var value = try working.get(store.blobs, key) else {
            let header = StoredBlobHeader(dictionaryID: blob.dictionaryID, size: blob.size, references: 1, kind: blob.kind)
            working.put(store.blobs, key, header.encoded + blob.stored)
            return true
        }
        guard let (decoded, length) = value.withUnsafeBytes({ StoredBlobHeader.decode($0) }) else {
            throw StoreError(.corrupt, "blob \(blob.hash.hex) header")
        }
        var header = decoded
        let hasBytes = value.count > length
        header.references += 1
        if hasBytes {
            // Another reference to bytes already stored: the header changes, the frame stays.
            value.replaceSubrange(0..<length, with: header.encoded)
        } else {
            // Purged earlier: the bytes come back, in this upload's stored form.
            header.dictionaryID = blob.dictionaryID
            value = header.encoded + blob.stored
        }
        working.put(store.blobs, key, value)
        return !hasBytes
    }

    /// Drops a reference; at none, keeps only the header (hash, size and kind stay readable).
    private func releaseBlob(_ hash: SHA256Digest, _ working: inout Working) throws {
        let key = hash.bytes
        guard var value = try working.get(store.blobs, key),
              let (decoded, length) = value.withUnsafeBytes({ StoredBlobHeader.decode($0) }), decoded.references > 0 else {
            throw StoreError(.invalidArgument, "file \(hash.hex) is not referenced")
        }
        var header = decoded
        header.references -= 1
        if header.references == 0 {
            value = header.encoded
        } else {
            value.replaceSubrange(0..<length, with: header.encoded)
        }
        working.put(store.blobs, key, value)
    }

    private func append(_ envelope: EventEnvelope, _ body: [UInt8], _ frame: [UInt8], _ working: inout Working, _ state: inout WriterState) throws {
        let envelopeBytes = EventRecord.encodeEnvelope(envelope)
        working.put(store.log, sequenceKey(envelope.sequence), StoredEvent.encode(envelope: envelopeBytes, dictionaryID: nil, bodyLength: body.count, frame: frame))
        state.frontier.append(leafHash: leafHash(envelope: envelopeBytes, body: body)) { id, hash in
            working.put(store.merkle, nodeKey(id), hash.bytes)
        }
        state.latest = envelope.sequence
    }

    private func apply(_ change: KeyChange, _ working: inout Working) throws {
        switch change {
        case .put(let space, let key, let value): working.put(try store.database(space), key, value)
        case .delete(let space, let key): working.delete(try store.database(space), key)
        case .clear(let space): working.clear(try store.database(space))
        }
    }
}
