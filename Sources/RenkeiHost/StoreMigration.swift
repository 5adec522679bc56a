import RenkeiCore
import RenkeiCrypto
public import RenkeiModel
import RenkeiPostgres
import RenkeiStore

/// What `renkei-admin migrate` copied and how the copy was proved.
public struct MigrationReport: Sendable {
    public let events: UInt64
    public let files: Int
    public let dictionaries: Int
    public let sourceRoot: String
    public let targetRoot: String
    /// Each key space: its name, its entries, and whether the copy's digest equals the source's.
    public let spaces: [(name: String, entries: Int, matches: Bool)]
    public var matches: Bool { sourceRoot == targetRoot && spaces.allSatisfy(\.matches) }
}

extension StoreMaintenance {
    /// Copies this (stopped) LMDB store into an empty PostgreSQL schema: every event as recorded, the
    /// installed dictionaries, every key space and every file the uploads stored (with its reference count,
    /// purged ones as purged); then proves the copy — the Merkle roots at the log's end equal, and each key
    /// space's digest equal.
    public func migrate(to url: String, progress: (@Sendable (String, UInt64, UInt64) -> Void)? = nil) async throws(ProgramError) -> MigrationReport {
        guard !isLive else { throw ProgramError(.folderBusy, "\(path): stop renkei-server first / 移行の前に renkei-server を停止してください") }
        let target: PostgresEventStore
        do {
            var configuration = try PostgresEventStore.Configuration(url: url)
            configuration.keySpaces = Platform.keySpaces
            target = try await PostgresEventStore.open(configuration)
        } catch {
            throw ProgramError(.storeFailed, "PostgreSQL \(PostgresEventStore.Configuration.redacted(url)): \(error)")
        }
        do {
            let report = try await copy(into: target, progress: progress)
            await target.close()
            return report
        } catch {
            await target.close()
            if let error = error as? ProgramError { throw error }
            throw ProgramError(.storeFailed, "\(error)")
        }
    }

    private func copy(into target: PostgresEventStore, progress: (@Sendable (String, UInt64, UInt64) -> Void)?) async throws -> MigrationReport {
        guard target.latestSequence == .zero else {
            throw ProgramError(.storeFailed, "the PostgreSQL schema already holds \(target.latestSequence) events: migrate into an empty one / 移行先は空のスキーマにしてください")
        }
        let end = try await read { try await $0.latestSequence() }

        // The log, page by page, noting the dictionaries it installed and the files its uploads stored.
        var next: UInt64 = 1
        var dictionaryIDs: [UInt32] = []
        var fileHashes = Set<SHA256Digest>()
        while next <= end.rawValue {
            let start = next
            let page = try await read { try await $0.events(from: SequenceNumber(start), limit: 5_000) }
            guard let last = page.last else { break }
            for event in page where event.envelope.kind == .dictionaryInstalled || event.envelope.kind == .sendUnitUploaded {
                switch try DomainEvent(kind: event.envelope.kind, body: event.body) {
                case .dictionaryInstalled(let installed)?: dictionaryIDs.append(installed.dictionaryID)
                case .sendUnitUploaded(let upload)?: for file in upload.files { if let hash = SHA256Digest(bytes: file.sha256) { fileHashes.insert(hash) } }
                default: break
                }
            }
            try await target.importEvents(page)
            next = last.sequence.rawValue + 1
            progress?("events copied", last.sequence.rawValue, end.rawValue)
        }

        let ids = dictionaryIDs
        let dictionaries = try await read { snapshot in
            var found: [[UInt8]] = []
            for id in ids { if let bytes = try await snapshot.dictionary(id: id) { found.append(bytes) } }
            return found
        }
        try await target.importDictionaries(dictionaries)

        // Every key space as it is (projections, checkpoints, applied marks), a page at a time.
        var counts: [KeySpace: Int] = [:]
        for space in Platform.keySpaces + KeySpace.builtIn {
            var after: [UInt8]? = nil
            while true {
                let from = after
                let page = try await read { try await $0.entries(in: space, from: from, to: nil, limit: 5_000) }
                try await target.importEntries(page, in: space)
                counts[space, default: 0] += page.count
                guard page.count == 5_000, let last = page.last else { break }
                after = last.key + [0]
            }
        }

        // The files the uploads stored.
        let hashes = fileHashes.sorted()
        for start in stride(from: 0, to: hashes.count, by: 200) {
            let chunk = Array(hashes[start ..< min(hashes.count, start + 200)])
            let blobs = try await read { snapshot in
                var blobs: [(info: BlobInfo, bytes: [UInt8]?)] = []
                for hash in chunk {
                    guard let info = try await snapshot.blobInfo(hash) else { continue }
                    blobs.append((info, info.isPurged ? nil : try await snapshot.blob(hash)))
                }
                return blobs
            }
            try await target.importBlobs(blobs)
            progress?("files copied", UInt64(min(hashes.count, start + 200)), UInt64(hashes.count))
        }

        // The proof.
        let size = end.rawValue
        let sourceRoot = size == 0 ? "" : try await read { try await $0.merkleRoot(treeSize: size).hex }
        let targetRoot = size == 0 ? "" : try await target.read { try await $0.merkleRoot(treeSize: size).hex }
        var spaces: [(name: String, entries: Int, matches: Bool)] = []
        for space in Platform.keySpaces + KeySpace.builtIn {
            let source = try await read { try await $0.digest(of: space) }
            let copied = try await target.read { try await $0.digest(of: space) }
            spaces.append((space.name, counts[space] ?? 0, source == copied))
        }
        return MigrationReport(events: size, files: hashes.count, dictionaries: dictionaries.count, sourceRoot: sourceRoot, targetRoot: targetRoot, spaces: spaces)
    }
}
