import Foundation
import RenkeiCrypto
@testable import RenkeiLog
import RenkeiModel
import RenkeiStore
import Testing

/// A store whose checkpoints are an hour apart, so acknowledged work stays in the write-ahead log until a
/// quarter of it is in use (with the default 4 MiB, never in these tests).
private func walOnlyConfiguration(logSize: Int = 4 << 20) -> LMDBEventStore.Configuration {
    var configuration = LMDBEventStore.Configuration()
    configuration.writeAheadLogSize = logSize
    configuration.checkpointInterval = .seconds(3600)
    return configuration
}

/// Copies what a crash leaves of a live store's folder (its files as they are on disk now; the writer is
/// idle): the data file, the write-ahead log and the identity file.
private func copyAsAtACrash(_ folder: String, to copy: String) throws {
    try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
    for name in ["data.mdb", "wal", "store-identity"] {
        try FileManager.default.copyItem(atPath: folder + "/" + name, toPath: copy + "/" + name)
    }
}

private func bytes(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path))) }
private func write(_ bytes: [UInt8], _ path: String) throws { try Data(bytes).write(to: URL(fileURLWithPath: path)) }

/// The byte range in which two equally long files differ (nil when they are equal).
private func difference(_ a: [UInt8], _ b: [UInt8]) -> Range<Int>? {
    guard let first = a.indices.first(where: { a[$0] != b[$0] }), let last = a.indices.last(where: { a[$0] != b[$0] }) else { return nil }
    return first ..< last + 1
}

@Suite struct WriteAheadLogTests {
    @Test func readersSeeAcknowledgedWritesAtOnceAndACrashCopyRecoversThemFromTheLog() async throws {
        let folder = TemporaryFolder()
        let store = try LMDBEventStore(path: folder.path, configuration: walOnlyConfiguration())
        for n in 0..<100 {
            let receipt = try await store.append(event("wal-\(n)"))
            // Read-your-writes: the next read sees it, long before any checkpoint.
            #expect(try await store.read { try await $0.event(at: receipt.sequence) }?.body == event("wal-\(n)").body)
        }
        let crash = TemporaryFolder()
        try copyAsAtACrash(folder.path, to: crash.path)
        await store.close()
        // LMDB alone holds none of it...
        let lmdbOnly = try LMDBStoreReader(path: crash.path)
        #expect(try lmdbOnly.latestSequence() == .zero)
        lmdbOnly.close()
        // ...and the write-ahead log brings back every event, one group per sequential append.
        let recovered = try LMDBEventStore(path: crash.path, configuration: walOnlyConfiguration())
        #expect(recovered.recovery.groups == 100)
        #expect(recovered.latestSequence == SequenceNumber(100))
        let bodies = try await recovered.read { try await $0.events(from: .first, limit: 1000) }.map(\.body)
        #expect(bodies == (0..<100).map { event("wal-\($0)").body })
        #expect(try recovered.verify().events == 100)
        await recovered.close()
    }

    /// A crash while group 21's record was being written leaves it torn (cut short) or damaged (a byte
    /// flipped). Recovery applies groups 1–20, stops at 21, and never reaches group 22 behind it, even
    /// when 22 is whole.
    @Test(arguments: ["torn", "flipped"])
    func recoveryStopsCleanlyAtTheLastWholeGroup(damage: String) async throws {
        let folder = TemporaryFolder()
        let store = try LMDBEventStore(path: folder.path, configuration: walOnlyConfiguration())
        for n in 0..<20 { _ = try await store.append(event("whole-\(n)")) }
        let crash = TemporaryFolder()
        try copyAsAtACrash(folder.path, to: crash.path)
        let before = try bytes(folder.path + "/wal")
        _ = try await store.append(event("group-21"))
        let after21 = try bytes(folder.path + "/wal")
        _ = try await store.append(event("group-22"))
        let after22 = try bytes(folder.path + "/wal")
        await store.close()
        let record21 = try #require(difference(before, after21))
        let record22 = try #require(difference(after21, after22))
        #expect(record22.lowerBound >= record21.upperBound)

        var log = try bytes(crash.path + "/wal")
        #expect(log == before)
        switch damage {
        case "torn":
            // Only the first half of record 21 reached the disk; record 22 is whole.
            let half = record21.lowerBound ..< record21.lowerBound + record21.count / 2
            log.replaceSubrange(half, with: after21[half])
        default:
            // All of record 21 and 22 reached the disk, but one byte of 21's payload is wrong.
            log.replaceSubrange(record21, with: after21[record21])
            log[record21.upperBound - 3] ^= 0x40
        }
        log.replaceSubrange(record22, with: after22[record22])
        try write(log, crash.path + "/wal")

        let recovered = try LMDBEventStore(path: crash.path, configuration: walOnlyConfiguration())
        #expect(recovered.recovery.groups == 20)
        #expect(recovered.latestSequence == SequenceNumber(20))
        #expect(try recovered.verify().events == 20)
        // The store goes on from there: the next write is event 21, and it survives a reopen.
        #expect(try await recovered.append(event("after")).sequence == SequenceNumber(21))
        await recovered.close()
        let reopened = try LMDBEventStore(path: crash.path, configuration: walOnlyConfiguration())
        #expect(try await reopened.read { try await $0.event(at: SequenceNumber(21)) }?.body == event("after").body)
        #expect(try reopened.verify().events == 21)
        await reopened.close()
    }

    /// A group larger than a quarter of the log goes to LMDB directly, in a checkpoint of its own, between
    /// groups that go through the log: all of them survive a crash copy, in order.
    @Test func aGroupTooLargeForTheLogGoesToLMDBDirectly() async throws {
        let folder = TemporaryFolder()
        let configuration = walOnlyConfiguration(logSize: 64 << 10)
        let store = try LMDBEventStore(path: folder.path, configuration: configuration)
        _ = try await store.append(event("before"))
        let file = incompressible(40_000, seed: 7)
        let blob = try store.prepareBlob(file, kind: "UPPLAN", dictionaryID: nil)
        let large = try await store.commit(StoreWrite(events: [event("large")], blobs: [blob]))
        _ = try await store.append(event("after"))
        #expect(store.writerStatistics.directCommits == 1)
        #expect(large.events[0].sequence == SequenceNumber(2))
        let crash = TemporaryFolder()
        try copyAsAtACrash(folder.path, to: crash.path)
        await store.close()
        let recovered = try LMDBEventStore(path: crash.path, configuration: configuration)
        #expect(recovered.latestSequence == SequenceNumber(3))
        #expect(try await recovered.read { try await $0.blob(blob.hash) } == file)
        let bodies = try await recovered.read { try await $0.events(from: .first, limit: 10) }.map(\.body)
        #expect(bodies == [event("before").body, event("large").body, event("after").body])
        #expect(try recovered.verify().events == 3)
        await recovered.close()
    }

    /// Many small groups fill the log several times over: checkpoints make room, the file is reused in a
    /// circle (records wrap at its end), and after a crash copy the log still recovers exactly the groups
    /// no checkpoint had applied.
    @Test func theLogIsReusedInACircleAndStillRecovers() async throws {
        let folder = TemporaryFolder()
        let configuration = walOnlyConfiguration(logSize: 64 << 10)
        let store = try LMDBEventStore(path: folder.path, configuration: configuration)
        // 600 groups of at least 4 KiB each: about 40 laps of a 64 KiB log.
        for n in 0..<600 { _ = try await store.append(event("lap-\(n)")) }
        #expect(store.writerStatistics.checkpoints >= 30)
        // Whether a checkpoint took the last groups depends on timing: take them now, then leave three groups
        // (12 KiB, under the 16 KiB that starts a checkpoint) to the log alone.
        try store.checkpointer.checkpointNow()
        for n in 600..<603 { _ = try await store.append(event("lap-\(n)")) }
        let crash = TemporaryFolder()
        try copyAsAtACrash(folder.path, to: crash.path)
        await store.close()
        let recovered = try LMDBEventStore(path: crash.path, configuration: configuration)
        #expect(recovered.recovery.groups == 3)
        #expect(recovered.latestSequence == SequenceNumber(603))
        #expect(try recovered.verify().events == 603)
        await recovered.close()
    }
}

/// A failed write inside a group is taken back exactly: values it overwrote, keys it added or deleted,
/// tables it cleared or created; the writes kept before it stay.
@Test func aFailedWriteIsTakenBackAloneFromItsGroup() {
    func key(_ text: String) -> StoreKey { StoreKey(Array(text.utf8)) }
    var changes = GroupChanges()
    changes.put(1, key("a"), [1])
    changes.put(1, key("b"), [2])
    changes.put(2, key("x"), [9])
    changes.keepWrite()
    let kept = changes.tables.mapValues { FrozenTable($0).sorted.map { "\($0.key.bytes)=\(String(describing: $0.value))" } }

    changes.put(1, key("a"), [7])     // overwrite
    changes.delete(1, key("b"))       // delete
    changes.put(1, key("c"), [3])     // add
    changes.clear(2)                  // clear a table
    changes.put(2, key("y"), [8])
    changes.put(3, key("new"), [5])   // a table the group had not touched
    #expect(changes.lookup(1, key("a")) == .some([7]) && changes.lookup(1, key("b")) == .some(nil))
    changes.dropWrite()

    #expect(changes.tables.mapValues { FrozenTable($0).sorted.map { "\($0.key.bytes)=\(String(describing: $0.value))" } } == kept)
    #expect(changes.lookup(1, key("a")) == .some([1]) && changes.lookup(1, key("c")) == nil && changes.lookup(2, key("x")) == .some([9]))
    #expect(changes.tables[3] == nil && changes.tables[2]?.cleared == false)
}
