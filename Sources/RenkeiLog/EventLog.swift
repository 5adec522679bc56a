import RenkeiCrypto
import RenkeiLMDB
import RenkeiMerkle
public import RenkeiModel
public import RenkeiZstd

/// The append-only event log: records with dense sequence numbers from 1, content-addressed blobs, the
/// RFC 9162 Merkle tree over the records, and zstd dictionaries — all in one LMDB environment, so one
/// transaction covers the log and whatever the caller keeps beside it (projections).
///
/// Writing goes through one writer thread with group commit (see `write(_:)`); reading runs anywhere, at a
/// consistent snapshot (see `read(_:)`); `tail(after:)` follows the log as it grows.
public final class EventLog: Sendable {
    /// Settings, with defaults for a platform store.
    public struct Configuration: Sendable {
        /// The LMDB environment's settings (map size and growth, durability).
        public var environment = Environment.Configuration()
        /// The zstd level for bodies and blobs.
        public var compressionLevel: Int32 = Zstd.defaultLevel
        /// The largest event body accepted.
        public var maximumBodySize = 4 << 20
        /// The largest file (blob) accepted.
        public var maximumBlobSize = 64 << 20
        /// The most write requests the writer commits in one transaction.
        public var maximumBatchSize = 1024
        /// How long the writer may wait for callers that were active at the last commit to join the next
        /// one (0: never wait). A short wait turns many concurrent callers into one batch and one sync.
        public var groupCommitWindow: Duration = .microseconds(200)
        /// The key spaces to open beside the log, for the caller's projections.
        public var keySpaces: [String] = []

        /// The defaults.
        public init() {}
    }

    /// The settings it was opened with.
    public let configuration: Configuration
    let store: LogStore
    let dictionaries = DictionaryRegistry()
    let committed: CommitBroadcaster
    let writer: LogWriter
    private let writerLock: WriterLockFile

    /// Opens (creating if needed) the log in the folder `path`.
    ///
    /// Reopening after a crash needs no recovery step: LMDB's last committed transaction is the state, and
    /// the writer resumes from its last sequence and Merkle frontier.
    /// Only one `EventLog` may have a data folder open at a time, across processes: a second one fails
    /// with `LogError.Code.inUse`.
    public init(path: String, configuration: Configuration = Configuration()) throws {
        writerLock = try WriterLockFile(folder: path)
        var environmentConfiguration = configuration.environment
        environmentConfiguration.maximumDatabases = max(environmentConfiguration.maximumDatabases, 8 + configuration.keySpaces.count)
        let environment = try Environment(path: path, configuration: environmentConfiguration)
        let store = try LogStore(environment: environment, keySpaceNames: configuration.keySpaces)
        self.configuration = configuration
        self.store = store
        let state = try environment.read { txn in try WriterState.load(txn, store) }
        let dictionaries = self.dictionaries
        try environment.read { txn in
            try txn.withCursor(store.dictionaries) { cursor in
                try cursor.forEach { entry in
                    dictionaries.insert(try ZstdDictionary(bytes: Array(entry.value)))
                    return true
                }
            }
        }
        committed = CommitBroadcaster(latest: state.latest)
        writer = LogWriter(store: store, state: state, dictionaries: dictionaries, committed: committed, maximumBatchSize: configuration.maximumBatchSize, groupCommitWindow: configuration.groupCommitWindow)
    }

    deinit { close() }

    /// Stops the writer (after the requests already queued) and closes the environment. Tails end.
    /// Closing twice does nothing more; a log that is no longer referenced closes itself.
    public func close() {
        writer.stop()
        committed.close()
        store.environment.close()
        writerLock.release()
    }

    /// The LMDB environment underneath.
    var environment: Environment { store.environment }

    /// One of the key spaces declared in `Configuration.keySpaces`, or nil.
    public func keySpace(named name: String) -> KeySpace? { store.keySpaces[name] }

    /// Writes a consistent copy of the whole store (log, blobs, tree, key spaces) into the empty folder
    /// `destination` while writing goes on: a hot backup. With `compact`, free pages are left out.
    public func backup(to destination: String, compact: Bool = true) throws {
        try store.environment.copy(to: destination, compact: compact)
    }

    /// Commits and requests so far: `requests / commits` is the average group-commit batch.
    public var writerStatistics: WriterStatistics { writer.statistics }

    /// The last committed sequence number (`.zero` when the log is empty).
    public var latestSequence: SequenceNumber { committed.latest }

    // MARK: Preparing records and blobs (in the caller's task)

    /// Compresses `body` and computes the record's leaf hash, ready for `LogWriteTransaction.append`.
    ///
    /// - Parameter dictionaryID: an installed dictionary to compress with (nil: none).
    /// - Throws: `LogError` `.tooLarge` or `.unknownDictionary`.
    public func prepare(kind: EventKind, body: [UInt8], timestamp: Timestamp = .now(), dictionaryID: UInt32? = nil) throws -> PreparedRecord {
        guard body.count <= configuration.maximumBodySize else {
            throw LogError(.tooLarge, "an event body of \(body.count) bytes; at most \(configuration.maximumBodySize)")
        }
        let dictionary = try installedDictionary(dictionaryID)
        let frame = Zstd.compress(body, level: configuration.compressionLevel, dictionary: dictionary)
        let header = RecordHeader(kind: kind, timestamp: timestamp, dictionaryID: dictionaryID, bodyLength: UInt32(body.count))
        let bytes = [UInt8](unsafeUninitializedCapacity: RecordHeader.size + frame.count) { out, count in
            let raw = UnsafeMutableRawBufferPointer(out)
            header.write(into: raw)
            frame.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: raw[RecordHeader.size...]).copyMemory(from: $0) }
            count = RecordHeader.size + frame.count
        }
        return PreparedRecord(header: header, bytes: bytes, leafHash: MerkleHash.leaf(bytes))
    }

    /// Hashes and compresses a file's bytes, ready for `LogWriteTransaction.storeBlob`.
    ///
    /// - Parameter dictionaryID: an installed dictionary for this kind of file (nil: none).
    /// - Throws: `LogError` `.tooLarge` or `.unknownDictionary`.
    public func prepareBlob(_ bytes: [UInt8], dictionaryID: UInt32? = nil) throws -> PreparedBlob {
        guard bytes.count <= configuration.maximumBlobSize else {
            throw LogError(.tooLarge, "a file of \(bytes.count) bytes; at most \(configuration.maximumBlobSize)")
        }
        let dictionary = try installedDictionary(dictionaryID)
        let frame = Zstd.compress(bytes, level: configuration.compressionLevel, dictionary: dictionary)
        return PreparedBlob(
            hash: SHA256.hash(bytes),
            size: bytes.count,
            dictionaryID: dictionaryID,
            stored: BlobHeader.make(dictionaryID: dictionaryID, rawSize: bytes.count, frame: frame)
        )
    }

    /// The installed dictionary with `id`, or nil.
    public func dictionary(id: UInt32) -> ZstdDictionary? { dictionaries.dictionary(id: id) }

    private func installedDictionary(_ id: UInt32?) throws -> ZstdDictionary? {
        guard let id else { return nil }
        guard let found = dictionaries.dictionary(id: id) else { throw LogError(.unknownDictionary, "dictionary \(id)") }
        return found
    }

    // MARK: Writing

    /// Runs `work` on the writer thread inside the next group commit, and returns its result once the
    /// commit is durable.
    ///
    /// Many callers' work shares one LMDB transaction and one sync. Each caller's work runs in its own
    /// nested transaction: if it throws, its writes are discarded and it gets its error, while the others in
    /// the batch still commit. If the commit itself fails (a full disk), every caller in the batch gets the
    /// error and nothing of the batch is stored. Results are returned in log order.
    ///
    /// `work` must touch nothing but the transaction it is given: it may run again if the map had to grow.
    /// Keep it short (prepare records and blobs before calling); it holds up every other writer.
    public func write<T: Sendable>(_ work: @escaping @Sendable (LogWriteTransaction) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let request = WriteRequest(work: work, continuation: continuation)
            if !writer.submit(request) {
                continuation.resume(throwing: LogError(.closed, "no more writes are accepted"))
            }
        }
    }

    /// Appends one prepared record and returns its sequence number once durable.
    public func append(_ record: PreparedRecord) async throws -> SequenceNumber {
        try await write { try $0.append(record) }
    }

    // MARK: Reading

    /// Runs `body` with a consistent snapshot of the log (and of the caller's databases), on the calling
    /// thread. The snapshot ends when `body` returns; it must not be kept.
    public func read<R>(_ body: (LogSnapshot) throws -> R) throws -> R {
        try store.environment.read { txn in try body(LogSnapshot(transaction: txn, log: self)) }
    }

    /// The committed sequence numbers after `position`, in order: first those already in the log
    /// (catch-up), then each new one as its commit becomes durable (live). Ends when the log closes or the
    /// consuming task is cancelled.
    public func tail(after position: SequenceNumber) -> LogTail {
        LogTail(after: position, broadcaster: committed)
    }
}
