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

    static func load(_ txn: Transaction, _ store: LogStore) throws -> WriterState {
        let latest = try lastSequence(txn, store)
        let frontier = try MerkleFrontier(size: latest.rawValue, nodes: StoredMerkleNodes(transaction: txn, database: store.merkle))
        var lastTimestamp = Timestamp(rawValue: .min)
        if latest > .zero {
            lastTimestamp = try withSequenceKey(latest) { key in
                try txn.withValue(store.log, key: key) { value in
                    try value.withUnsafeBytes { try StoredEvent.decode($0, sequence: latest).envelope.timestamp }
                }
            } ?? lastTimestamp
        }
        return WriterState(latest: latest, frontier: frontier, lastTimestamp: lastTimestamp)
    }
}

/// Applies one prepared write inside a (nested) write transaction: conditions, dictionaries, blobs,
/// events with their Merkle nodes, then key-space changes. Throws, leaving the caller to discard the
/// transaction, when any part fails.
struct WriteApplier {
    let store: LogStore
    let limits: StoreLimits
    let clock: @Sendable () -> Timestamp

    func apply(_ prepared: PreparedWrite, in txn: WriteTransaction, state: inout WriterState) throws -> CommitReceipt {
        let write = prepared.write
        for condition in write.conditions {
            guard try holds(condition, txn, state) else { throw StoreError(.conditionFailed, condition.description) }
        }
        for dictionary in prepared.dictionaries { try install(dictionary, txn) }
        var stored: [SHA256Digest] = []
        for blob in write.blobs where try storeBlob(blob, txn) { stored.append(blob.hash) }
        for hash in write.releasedBlobs { try releaseBlob(hash, txn) }
        var envelopes: [EventEnvelope] = []
        for (event, frame) in zip(write.events, prepared.frames) {
            state.lastTimestamp = max(state.lastTimestamp, clock())
            let envelope = EventEnvelope(sequence: state.latest.next, timestamp: state.lastTimestamp, kind: event.kind, actor: event.actor, requestID: event.requestID)
            try append(envelope, event.body, frame, txn, &state)
            envelopes.append(envelope)
        }
        var changes = write.changes
        if let derive = write.derivedChanges {
            let derived = try derive(CommitContext(events: envelopes, treeSize: state.frontier.size, root: state.frontier.root))
            for change in derived {
                _ = try change.validate(limits: limits) { _ = try store.database($0) }
            }
            changes += derived
        }
        for change in changes { try apply(change, txn) }
        return CommitReceipt(events: envelopes, latestSequence: state.latest, storedBlobs: stored)
    }

    private func holds(_ condition: StoreCondition, _ txn: WriteTransaction, _ state: WriterState) throws -> Bool {
        switch condition {
        case .absent(let space, let key):
            return try txn.get(store.database(space), key: key) == nil
        case .unchanged(let space, let key, let value):
            return try txn.get(store.database(space), key: key) == value
        case .logEnds(let sequence):
            return state.latest == sequence
        }
    }

    private func install(_ dictionary: ZstdDictionary, _ txn: WriteTransaction) throws {
        try withDictionaryKey(dictionary.id) { key in
            if let existing = try txn.get(store.dictionaries, key: key) {
                guard existing == dictionary.bytes else {
                    throw StoreError(.invalidArgument, "a different dictionary with id \(dictionary.id) is already installed")
                }
                return
            }
            try dictionary.bytes.withUnsafeBytes { try txn.put(store.dictionaries, key: key, value: $0) }
        }
    }

    /// Adds a reference to the blob; stores its bytes if the store does not hold them. Returns whether it did.
    private func storeBlob(_ blob: PreparedBlob, _ txn: WriteTransaction) throws -> Bool {
        try blob.hash.withUnsafeBytes { key in
            guard var value = try txn.get(store.blobs, key: key) else {
                let header = StoredBlobHeader(dictionaryID: blob.dictionaryID, size: blob.size, references: 1, kind: blob.kind)
                try (header.encoded + blob.stored).withUnsafeBytes { try txn.put(store.blobs, key: key, value: $0) }
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
            try value.withUnsafeBytes { try txn.put(store.blobs, key: key, value: $0) }
            return !hasBytes
        }
    }

    /// Drops a reference; at none, keeps only the header (hash, size and kind stay readable).
    private func releaseBlob(_ hash: SHA256Digest, _ txn: WriteTransaction) throws {
        try hash.withUnsafeBytes { key in
            guard var value = try txn.get(store.blobs, key: key),
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
            try value.withUnsafeBytes { try txn.put(store.blobs, key: key, value: $0) }
        }
    }

    private func append(_ envelope: EventEnvelope, _ body: [UInt8], _ frame: [UInt8], _ txn: WriteTransaction, _ state: inout WriterState) throws {
        let envelopeBytes = EventRecord.encodeEnvelope(envelope)
        let stored = StoredEvent.encode(envelope: envelopeBytes, dictionaryID: nil, bodyLength: body.count, frame: frame)
        try withSequenceKey(envelope.sequence) { key in
            try stored.withUnsafeBytes { value in try txn.put(store.log, key: key, value: value, options: .append) }
        }
        try state.frontier.append(leafHash: leafHash(envelope: envelopeBytes, body: body)) { id, hash in
            try withNodeKey(id) { key in
                try hash.withUnsafeBytes { value in try txn.put(store.merkle, key: key, value: value, options: .append) }
            }
        }
        state.latest = envelope.sequence
    }

    private func apply(_ change: KeyChange, _ txn: WriteTransaction) throws {
        switch change {
        case .put(let space, let key, let value): try txn.put(store.database(space), key: key, value: value)
        case .delete(let space, let key): try key.withUnsafeBytes { _ = try txn.delete(store.database(space), key: $0) }
        case .clear(let space): try txn.clear(store.database(space))
        }
    }
}
