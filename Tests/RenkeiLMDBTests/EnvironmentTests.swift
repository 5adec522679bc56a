import Foundation
import RenkeiLMDB
import Testing

/// A fresh folder under the system's temporary directory, removed when the test ends.
final class TemporaryFolder {
    let path: String
    init() {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("renkei-lmdb-\(UUID().uuidString)").path
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

func key(_ n: UInt64) -> [UInt8] { withUnsafeBytes(of: n.bigEndian) { Array($0) } }

/// Runs a system command quietly and returns its exit status.
func run(_ arguments: [String]) throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    return process.terminationStatus
}

@Suite struct EnvironmentTests {
    @Test func committedWritesAreVisibleAndThrownWritesLeaveNothing() throws {
        let folder = TemporaryFolder()
        let env = try Environment(path: folder.path)
        let db = try env.database(named: "things")
        try env.write { txn in try txn.put(db, key: key(1), value: Array("one".utf8)) }
        struct Refused: Error {}
        #expect(throws: Refused.self) {
            try env.write { txn throws in
                try txn.put(db, key: key(2), value: Array("two".utf8))
                throw Refused()
            }
        }
        try env.read { txn throws in
            #expect(try txn.get(db, key: key(1)) == Array("one".utf8))
            #expect(try txn.get(db, key: key(2)) == nil)
            #expect(try txn.count(db) == 1)
        }
    }

    @Test func dataSurvivesReopening() throws {
        let folder = TemporaryFolder()
        do {
            let env = try Environment(path: folder.path)
            let db = try env.database(named: "log")
            try env.write { txn throws in
                for n in 1...100 as ClosedRange<UInt64> { try txn.put(db, key: key(n), value: key(n * n), options: .append) }
            }
            env.close()
        }
        let env = try Environment(path: folder.path)
        let db = try env.database(named: "log")
        try env.read { txn throws in
            #expect(try txn.count(db) == 100)
            #expect(try txn.get(db, key: key(7)) == key(49))
        }
    }

    @Test func appendRefusesKeysOutOfOrder() throws {
        let folder = TemporaryFolder()
        let env = try Environment(path: folder.path)
        let db = try env.database(named: "log")
        try env.write { txn in try txn.put(db, key: key(5), value: [1], options: .append) }
        let error = try #require(throws: LMDBError.self) {
            try env.write { txn in try txn.put(db, key: key(3), value: [1], options: .append) }
        }
        #expect(error.code == .keyExists)
    }

    @Test func cursorsScanRangesInKeyOrder() throws {
        let folder = TemporaryFolder()
        let env = try Environment(path: folder.path)
        let db = try env.database(named: "ordered")
        try env.write { txn throws in
            for n in [9, 3, 7, 1, 5] as [UInt64] { try txn.put(db, key: key(n), value: key(n)) }
        }
        let seen: [UInt64] = try env.read { txn throws in
            try txn.withCursor(db) { cursor in
                var seen: [UInt64] = []
                try cursor.forEach(from: key(3), to: key(9)) { key, _ in
                    seen.append(key.unsafeLoadUnaligned(as: UInt64.self).bigEndian)
                    return true
                }
                return seen
            }
        }
        #expect(seen == [3, 5, 7])
        let (last, beforeLast) = try env.read { txn in
            try txn.withCursor(db) { cursor in
                (try cursor.last() ? try cursor.currentKey : nil, try cursor.previous() ? try cursor.currentKey : nil)
            }
        }
        #expect(last == key(9) && beforeLast == key(7))
    }

    /// A batched scan gives the same entries as the entry-at-a-time one, whatever the batch size: the range's
    /// bounds kept, a stop in the middle of a batch honoured, and the values in place.
    @Test(arguments: [1, 3, 7, 64, 500])
    func batchedScansGiveTheSameEntries(batchSize: Int) throws {
        let folder = TemporaryFolder()
        let env = try Environment(path: folder.path)
        let db = try env.database(named: "batched")
        try env.write { txn throws in
            for n in stride(from: 0, to: 300, by: 3) as StrideTo<UInt64> { try txn.put(db, key: key(n), value: key(n * 2)) }
        }
        func scan(from lower: UInt64?, to upper: UInt64?, stopAfter: Int) throws -> [UInt64] {
            try env.read { txn throws in
                try txn.withCursor(db) { cursor in
                    var seen: [UInt64] = []
                    try cursor.forEachBatch(from: lower.map(key), to: upper.map(key), batchSize: batchSize) { entries in
                        #expect(entries.count <= batchSize)
                        for entry in entries {
                            let n = UInt64(bigEndian: entry.key.loadUnaligned(as: UInt64.self))
                            #expect(UInt64(bigEndian: entry.value.loadUnaligned(as: UInt64.self)) == n * 2)
                            seen.append(n)
                            if seen.count == stopAfter { return false }
                        }
                        return true
                    }
                    return seen
                }
            }
        }
        #expect(try scan(from: nil, to: nil, stopAfter: .max) == Array(stride(from: 0, to: 300, by: 3)))
        #expect(try scan(from: 10, to: 31, stopAfter: .max) == [12, 15, 18, 21, 24, 27, 30])
        #expect(try scan(from: 10, to: nil, stopAfter: 4) == [12, 15, 18, 21])
        #expect(try scan(from: 400, to: nil, stopAfter: .max) == [])
        #expect(try scan(from: 0, to: 0, stopAfter: .max) == [])
    }

    @Test func aReaderKeepsItsSnapshotWhileTheWriterCommits() async throws {
        let folder = TemporaryFolder()
        let env = try Environment(path: folder.path)
        let db = try env.database(named: "snapshot")
        try env.write { txn in try txn.put(db, key: key(1), value: [1]) }
        let readerStarted = DispatchSemaphore(value: 0)
        let writerDone = DispatchSemaphore(value: 0)
        let reader = Task.detached {
            try env.read { txn -> ([UInt8]?, [UInt8]?) in
                let before = try txn.get(db, key: key(1))
                readerStarted.signal()
                writerDone.wait()
                return (before, try txn.get(db, key: key(1)))
            }
        }
        readerStarted.wait()
        try env.write { txn in try txn.put(db, key: key(1), value: [2]) }
        writerDone.signal()
        let (before, after) = try await reader.value
        #expect(before == [1] && after == [1])
        #expect(try env.read { try $0.get(db, key: key(1)) } == [2])
    }

    @Test func nestedTransactionsDiscardOnlyTheFailedChild() throws {
        let folder = TemporaryFolder()
        let env = try Environment(path: folder.path)
        let db = try env.database(named: "nested")
        struct Refused: Error {}
        try env.write { txn throws in
            try txn.nested { child in try child.put(db, key: key(1), value: [1]) }
            _ = try? txn.nested { child in
                try child.put(db, key: key(2), value: [2])
                throw Refused()
            }
            try txn.nested { child in try child.put(db, key: key(3), value: [3]) }
        }
        try env.read { txn throws in
            #expect(try txn.get(db, key: key(1)) == [1])
            #expect(try txn.get(db, key: key(2)) == nil)
            #expect(try txn.get(db, key: key(3)) == [3])
        }
    }

    @Test func theMapIsOpenedAtItsFullSizeAndTheFileStaysSparse() throws {
        let folder = TemporaryFolder()
        let env = try Environment(path: folder.path)
        let db = try env.database(named: "big")
        let value = [UInt8](repeating: 0xAB, count: 64 << 10)
        for batch in 0..<8 as Range<UInt64> {
            try env.write { txn throws in
                for n in 0..<20 as Range<UInt64> { try txn.put(db, key: key(batch * 100 + n), value: value) }
            }
        }
        #expect(try env.info().mapSize == 1 << 40)
        #expect(try env.read { try $0.count(db) } == 160)
        // A terabyte of map, ~10 MiB of data: only the pages written take disk space.
        var status = stat()
        #expect(stat(folder.path + "/data.mdb", &status) == 0)
        #expect(Int(status.st_blocks) * 512 < 64 << 20)
    }

    @Test func aLongReaderNeitherBlocksNorIsBlockedByWritesThatFillTheFile() async throws {
        let folder = TemporaryFolder()
        let env = try Environment(path: folder.path)
        let db = try env.database(named: "long")
        try env.write { txn in try txn.put(db, key: key(0), value: [0]) }
        let value = [UInt8](repeating: 0x5A, count: 256 << 10)
        // A reader holds its snapshot across awaits (as a whole-log check would) while 80 MiB are written,
        // more than the 64 MiB a growing map used to start at, and new readers come and go.
        let held = try await env.readAsync { txn -> Int in
            for n in 1...320 as ClosedRange<UInt64> {
                try env.write { try $0.put(db, key: key(n), value: value) }
                if n % 40 == 0 { #expect(try env.read { try $0.count(db) } == Int(n) + 1) }
                await Task.yield()
            }
            return try txn.count(db)
        }
        #expect(held == 1)
        #expect(try env.read { try $0.count(db) } == 321)
    }

    @Test func aNoSyncScratchEnvironmentIsDurableOnceSynced() throws {
        let folder = TemporaryFolder()
        var configuration = Environment.Configuration()
        configuration.durability = .noSync
        do {
            let env = try Environment(path: folder.path, configuration: configuration)
            let db = try env.database(named: "scratch")
            try env.write { txn in for n in 0..<100 as Range<UInt64> { try txn.put(db, key: key(n), value: key(n)) } }
            try env.sync()
            env.close()
        }
        let env = try Environment(path: folder.path)
        let scratch = try env.database(named: "scratch")
        #expect(try env.read { try $0.count(scratch) } == 100)
    }

    /// Creating a database on a full file system: `mdb_dbi_open` works in memory, and the commit that would
    /// write the new root fails. The handle from that failed commit must not be kept (LMDB closed it): once
    /// there is room, asking again creates the database for real, and it holds what is written to it.
    @Test(.enabled(if: getuid() == 0, "mounting a small tmpfs needs root"))
    func aDatabaseWhoseCreationFailedToCommitIsNotRemembered() throws {
        let folder = TemporaryFolder()
        try FileManager.default.createDirectory(atPath: folder.path, withIntermediateDirectories: true)
        #expect(try run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", folder.path]) == 0, "mount tmpfs")
        defer { _ = try? run(["umount", "-l", folder.path]) }
        let env = try Environment(path: folder.path)
        // Fill every free byte of the file system.
        let filler = folder.path + "/filler"
        let handle = try #require(FileHandle(forWritingAtPath: { _ = FileManager.default.createFile(atPath: filler, contents: nil); return filler }()))
        let page = Data(repeating: 0xEE, count: 4096)
        while (try? handle.write(contentsOf: page)) != nil {}
        try handle.close()
        let refused = try #require(throws: LMDBError.self) { try env.database(named: "later") }
        #expect(refused.code == .diskFull || refused.code == .ioError, "\(refused)")
        // Room again: the database is created now, and its handle reads and writes it.
        try FileManager.default.removeItem(atPath: filler)
        let later = try env.database(named: "later")
        try env.write { txn in try txn.put(later, key: key(1), value: Array("kept".utf8)) }
        #expect(try env.read { try $0.get(later, key: key(1)) } == Array("kept".utf8))
        env.close()
    }

    @Test func aFullMapGivesATypedErrorAndTheEnvironmentStaysUsable() throws {
        let folder = TemporaryFolder()
        var configuration = Environment.Configuration()
        configuration.mapSize = 2 << 20
        let env = try Environment(path: folder.path, configuration: configuration)
        let db = try env.database(named: "full")
        let value = [UInt8](repeating: 0xCD, count: 100 << 10)
        var stored: UInt64 = 0
        let error = try #require(throws: LMDBError.self) {
            while true {
                try env.write { txn in try txn.put(db, key: key(stored), value: value) }
                stored += 1
            }
        }
        #expect(error.code == .mapFull)
        #expect(stored > 5)
        // Nothing of the failed write is there, everything before it is, and small writes still go in
        // once space is freed.
        try env.read { txn throws in
            #expect(try txn.count(db) == Int(stored))
            #expect(try txn.get(db, key: key(stored)) == nil)
            #expect(try txn.get(db, key: key(stored - 1)) == value)
        }
        try env.write { txn throws in
            try txn.delete(db, key: key(0))
            try txn.delete(db, key: key(1))
        }
        try env.write { txn in try txn.put(db, key: key(1_000), value: [1, 2, 3]) }
        #expect(try env.read { try $0.get(db, key: key(1_000)) } == [1, 2, 3])
    }

    @Test func badKeysAndUseAfterCloseAreRefused() throws {
        let folder = TemporaryFolder()
        let env = try Environment(path: folder.path)
        let db = try env.database(named: "keys")
        let empty = try #require(throws: LMDBError.self) { try env.write { try $0.put(db, key: [], value: [1]) } }
        #expect(empty.code == .invalidArgument)
        let long = try #require(throws: LMDBError.self) {
            try env.write { try $0.put(db, key: [UInt8](repeating: 1, count: 512), value: [1]) }
        }
        #expect(long.code == .invalidArgument)
        env.close()
        let closed = try #require(throws: LMDBError.self) { try env.read { try $0.count(db) } }
        #expect(closed.code == .closed)
    }
}
