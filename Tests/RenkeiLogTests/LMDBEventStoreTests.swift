import Foundation
import RenkeiCrypto
import RenkeiLMDB
@testable import RenkeiLog
import RenkeiModel
import RenkeiStore
import RenkeiZstd
import Synchronization
import Testing

@Suite struct LMDBEventStoreTests {
    @Test func eventsAndIdentitySurviveReopeningAndSequencesGoOn() async throws {
        let folder = TemporaryFolder()
        let first = try LMDBEventStore(path: folder.path)
        let identity = first.identity
        for n in 0..<10 { _ = try await first.append(event("first-\(n)")) }
        await first.close()
        let store = try LMDBEventStore(path: folder.path)
        #expect(store.identity == identity)
        #expect(store.latestSequence == SequenceNumber(10))
        #expect(try await store.append(event("after")).sequence == SequenceNumber(11))
        #expect(try store.verify().events == 11)
        await store.close()
    }

    @Test func aStoreWhoseDataFileCameBackEmptyMissingOrShorterIsRefused() async throws {
        let folder = TemporaryFolder()
        let backup = TemporaryFolder()
        var configuration = LMDBEventStore.Configuration()
        configuration.identityInterval = 1
        do {
            let store = try LMDBEventStore(path: folder.path, configuration: configuration)
            for n in 0..<5 { _ = try await store.append(event("a\(n)")) }
            try store.backup(to: backup.path)
            for n in 0..<5 { _ = try await store.append(event("b\(n)")) }
            await store.close()
        }
        let data = folder.path + "/data.mdb"
        let wal = folder.path + "/wal"
        let saved = try Data(contentsOf: URL(fileURLWithPath: data))
        let savedLog = try Data(contentsOf: URL(fileURLWithPath: wal))
        // An older copy (5 events where the identity file recorded 10), with a write-ahead log that
        // cannot bring it forward (the backup's, empty).
        try FileManager.default.removeItem(atPath: data)
        try FileManager.default.copyItem(atPath: backup.path + "/data.mdb", toPath: data)
        try FileManager.default.removeItem(atPath: wal)
        try FileManager.default.copyItem(atPath: backup.path + "/wal", toPath: wal)
        let shorter = try #require(throws: StoreError.self) { try LMDBEventStore(path: folder.path) }
        #expect(shorter.code == .missingData && shorter.detail.contains("at least 10"))
        try savedLog.write(to: URL(fileURLWithPath: wal))
        // With its own write-ahead log, the same older copy is brought forward to all ten events.
        let forward = try LMDBEventStore(path: folder.path)
        #expect(forward.latestSequence == SequenceNumber(10) && forward.recovery.groups == 5)
        #expect(try forward.verify().events == 10)
        await forward.close()
        // Empty, as after a power cut that took every unsynced write.
        try Data().write(to: URL(fileURLWithPath: data))
        let empty = try #require(throws: StoreError.self) { try LMDBEventStore(path: folder.path) }
        #expect(empty.code == .missingData && empty.detail.contains("empty"))
        try FileManager.default.removeItem(atPath: data)
        let missing = try #require(throws: StoreError.self) { try LMDBEventStore(path: folder.path) }
        #expect(missing.code == .missingData && missing.detail.contains("missing"))
        // The refusals changed nothing: the real data file opens again.
        try saved.write(to: URL(fileURLWithPath: data))
        let store = try LMDBEventStore(path: folder.path)
        #expect(try store.verify().events == 10)
        await store.close()
        // The backup opens as the same store, with its own five events.
        let restored = try LMDBEventStore(path: backup.path)
        #expect(restored.latestSequence == SequenceNumber(5))
        await restored.close()
    }

    @Test func aStoreOfTheOldFormatIsRefusedNotMisread() throws {
        let folder = TemporaryFolder()
        do {
            let environment = try Environment(path: folder.path)
            let meta = try environment.database(named: "meta")
            try environment.write { try $0.put(meta, key: Array("format".utf8), value: [1]) }
            environment.close()
        }
        let error = try #require(throws: StoreError.self) { try LMDBEventStore(path: folder.path) }
        #expect(error.code == .unsupportedFormat)
        #expect(error.detail.contains("format 1"))
    }

    @Test func aSecondWriterOnTheSameFolderIsRefused() async throws {
        let folder = TemporaryFolder()
        let store = try LMDBEventStore(path: folder.path)
        let error = try #require(throws: StoreError.self) { try LMDBEventStore(path: folder.path) }
        #expect(error.code == .inUse)
        await store.close()
        let again = try LMDBEventStore(path: folder.path)
        await again.close()
    }

    @Test func aDictionaryIsUsableOnlyOnceTheWriteThatInstalledItHasCommitted() async throws {
        let folder = TemporaryFolder()
        let samples = (0..<200).map { n in Array("202407,131000\(n % 10)001,139999,利用者\(n),訪問介護,\(n * 37)\r\n".utf8) + Array(repeating: UInt8(48 + n % 10), count: 40) }
        let dictionary = try ZstdDictionary.train(samples: samples, capacity: 4 << 10)
        let store = try LMDBEventStore(path: folder.path)
        // The write is refused (its condition fails): the dictionary it carried must not be used.
        let refused = try await #require(throws: StoreError.self) {
            _ = try await store.commit(StoreWrite(conditions: [.logEnds(at: SequenceNumber(99))], dictionaries: [dictionary.bytes]))
        }
        #expect(refused.code == .conditionFailed)
        let unknown = try #require(throws: StoreError.self) { try store.prepareBlob(samples[0], kind: "UPPLAN", dictionaryID: dictionary.id) }
        #expect(unknown.code == .unknownDictionary)
        // Committed: now it compresses, and what it compressed reads back after a restart.
        _ = try await store.commit(StoreWrite(dictionaries: [dictionary.bytes]))
        let blob = try store.prepareBlob(samples[1], kind: "UPPLAN", dictionaryID: dictionary.id)
        _ = try await store.commit(StoreWrite(blobs: [blob]))
        await store.close()
        let reopened = try LMDBEventStore(path: folder.path)
        #expect(try await reopened.read { try await $0.blob(blob.hash) } == samples[1])
        await reopened.close()
    }

    @Test func closingOnTheWriterThreadDoesNotWaitForItself() async throws {
        let folder = TemporaryFolder()
        let store = try LMDBEventStore(path: folder.path)
        // The write's own closure runs on the writer thread; closing there is what dropping the last
        // reference to the store from a write's closure does (deinit closes).
        let receipt = try await within(.seconds(20)) {
            try await store.commit(StoreWrite(events: [event("last")], derivedChanges: { [store] _ in
                store.closeSynchronously()
                return []
            }))
        }
        #expect(receipt.latestSequence == SequenceNumber(1))
        let closed = try await #require(throws: StoreError.self) { _ = try await store.append(event("late")) }
        #expect(closed.code == .closed)
        // The writer released the folder once its last batch was done.
        let reopened = try await within(.seconds(20)) {
            while true {
                do { return try LMDBEventStore(path: folder.path) } catch let error as StoreError where error.code == .inUse { await Task.yield() }
            }
        }
        #expect(reopened.latestSequence == SequenceNumber(1))
        await reopened.close()
    }

    @Test func queuedAndBatchedBytesStayWithinTheirBounds() async throws {
        let folder = TemporaryFolder()
        var configuration = LMDBEventStore.Configuration()
        configuration.limits.maximumWriteSize = 1 << 20
        configuration.maximumQueuedBytes = 1 << 20
        configuration.maximumBatchBytes = 512 << 10
        let store = try LMDBEventStore(path: folder.path, configuration: configuration)
        // 64 callers with 200 KB each: 12.8 MB offered at once, at most 1 MiB held.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for n in 0..<64 {
                group.addTask {
                    let blob = try store.prepareBlob(incompressible(200_000, seed: UInt64(n)), kind: "UPPLAN", dictionaryID: nil)
                    _ = try await store.commit(StoreWrite(events: [event("big \(n)")], blobs: [blob]))
                }
            }
            try await group.waitForAll()
        }
        let statistics = store.writerStatistics
        #expect(store.latestSequence == SequenceNumber(64))
        #expect(statistics.peakQueuedBytes <= 1 << 20)
        #expect(statistics.largestBatchBytes <= 512 << 10)
        // A write larger than the queue is refused outright.
        var huge = configuration.limits
        huge.maximumWriteSize = 4 << 20
        let tooLarge = try await #require(throws: StoreError.self) {
            _ = try await store.commit(StoreWrite(events: [NewEvent(kind: uploadKind, body: [UInt8](repeating: 1, count: 2 << 20), actor: office, requestID: .random())]))
        }
        #expect(tooLarge.code == .tooLarge)
        await store.close()
    }

    @Test func refusedAndAcceptedWritesShareOneBatchAndOneSync() async throws {
        let folder = TemporaryFolder()
        var configuration = LMDBEventStore.Configuration()
        configuration.groupCommitWindow = .milliseconds(50)
        let space = try KeySpace("claims")
        configuration.keySpaces = [space]
        let store = try LMDBEventStore(path: folder.path, configuration: configuration)
        _ = try await store.append(event("warm-up"))
        // 32 callers race for 8 keys: per key one wins. They arrive together, so they share batches.
        let before = store.writerStatistics
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for n in 0..<32 {
                group.addTask {
                    let key = Array("key-\(n % 8)".utf8)
                    let write = StoreWrite(conditions: [.absent(space, key: key)], events: [event("claim \(n)")], changes: [.put(space, key: key, value: [UInt8(n)])])
                    return (try? await store.commit(write)) != nil
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        let after = store.writerStatistics
        #expect(outcomes.filter { $0 }.count == 8)
        #expect(after.requests - before.requests == 32)
        #expect(after.commits - before.commits < 32)
        #expect(after.mixedBatches > before.mixedBatches, "a batch held both refused and committed writes")
        #expect(store.latestSequence == SequenceNumber(9))
        #expect(try store.verify().events == 9)
        await store.close()
    }
}
