import Foundation
import RenkeiCrypto
import RenkeiModel
public import RenkeiStore

extension Platform {
    /// Installs a zstd dictionary for files of `fileKind` (operators only): the store keeps its bytes, the
    /// DictionaryInstalled event records it, and from the commit on, uploads of that kind are compressed with
    /// it. A dictionary is at most 4 MiB and must carry a zstd dictionary header with a non-zero id.
    @discardableResult
    public func installDictionary(_ bytes: [UInt8], forKind fileKind: String, by actor: Actor, request: RequestID = .random()) async throws(DomainError) -> UInt32 {
        try Self.requireOperator(actor)
        guard bytes.count <= 4 << 20, let id = DictionaryHeader.id(of: bytes) else {
            throw DomainError(.invalidArgument, "not a zstd dictionary with an id, or larger than 4 MiB")
        }
        guard (1...16).contains(fileKind.utf8.count), fileKind.utf8.allSatisfy({ (0x41...0x5A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F }) else {
            throw DomainError(.invalidArgument, "a file kind is 1 to 16 of A-Z, 0-9 and _")
        }
        _ = try await decideAndCommit(by: actor, request: request) { decision, _ in
            var event = PBDictionaryInstalled()
            event.dictionaryID = id
            event.fileKind = fileKind
            event.sha256 = Data(SHA256.hash(bytes).bytes)
            event.size = UInt64(bytes.count)
            decision.events.append(.dictionaryInstalled(event))
            decision.dictionaries = [bytes]
        }
        dictionaries.withLock { $0 = nil }
        return id
    }

    /// The dictionary to compress files of each kind with (the last installed), read once and after each
    /// installation.
    func dictionaryIDs() async throws -> [String: UInt32] {
        if let known = dictionaries.withLock({ $0 }) { return known }
        let installed = try await store.read { snapshot in
            try await snapshot.allEntries(in: ProjectionSpaces.platform, from: Keys.dictionary("").key, to: Keys.end(of: Keys.dictionary("").key))
        }
        var byKind: [String: UInt32] = [:]
        for entry in installed {
            let event = try PBDictionaryInstalled(serializedBytes: entry.value)
            byKind[event.fileKind] = event.dictionaryID
        }
        dictionaries.withLock { $0 = byKind }
        return byKind
    }
}
