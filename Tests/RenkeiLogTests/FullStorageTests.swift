import Foundation
import RenkeiCrypto
import RenkeiLMDB
import RenkeiLog
import RenkeiModel
import Testing

/// Bytes that do not compress, so that a store fills predictably.
private func incompressible(_ count: Int, seed: UInt64) -> [UInt8] {
    var state = seed
    return (0..<count).map { _ in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return UInt8(truncatingIfNeeded: state >> 33)
    }
}

/// Appends an upload (a file and a record naming it) in one write.
private func upload(_ log: EventLog, _ n: Int, size: Int) async throws -> SequenceNumber {
    let blob = try log.prepareBlob(incompressible(size, seed: UInt64(n)))
    let record = try log.prepare(kind: uploadKind, body: Array("upload \(n) \(blob.hash.hex)".utf8))
    return try await log.write { txn in
        try txn.storeBlob(blob)
        return try txn.append(record)
    }
}

private func run(_ arguments: [String]) throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    return process.terminationStatus
}

@Suite struct FullStorageTests {
    @Test func aFullMapGivesATypedErrorLeavesNothingHalfWrittenAndStaysUsable() async throws {
        let folder = TemporaryFolder()
        var configuration = EventLog.Configuration()
        configuration.environment.initialMapSize = 1 << 20
        configuration.environment.maximumMapSize = 4 << 20
        let log = try EventLog(path: folder.path, configuration: configuration)
        var acknowledged = 0
        let error = try await #require(throws: LMDBError.self) {
            while true {
                _ = try await upload(log, acknowledged, size: 150_000)
                acknowledged += 1
            }
        }
        #expect(error.code == .mapFull)
        #expect(acknowledged >= 10)
        // The failed upload left neither its record nor its file.
        #expect(log.latestSequence == SequenceNumber(UInt64(acknowledged)))
        try log.read { snapshot throws in
            #expect(try snapshot.blobInfo(SHA256.hash(incompressible(150_000, seed: UInt64(acknowledged)))) == nil)
        }
        #expect(try log.verify().records == UInt64(acknowledged))
        // Retention frees space; the same log then takes new events and uploads. (LMDB reuses the pages a
        // commit frees from the second commit after it on, so a small event comes first.)
        let hashes = (0..<5).map { SHA256.hash(incompressible(150_000, seed: UInt64($0))) }
        _ = try await log.write { txn in for hash in hashes { try txn.purgeBlob(hash) } }
        let event = try await log.append(try log.prepare(kind: uploadKind, body: Array("purged 5 files".utf8)))
        #expect(event == SequenceNumber(UInt64(acknowledged + 1)))
        let next = try await upload(log, 10_000, size: 150_000)
        #expect(next == SequenceNumber(UInt64(acknowledged + 2)))
        #expect(try log.verify().records == UInt64(acknowledged + 2))
    }

    @Test(.enabled(if: getuid() == 0, "mounting a small tmpfs needs root"))
    func aFullDiskGivesATypedErrorAndTheLogRecoversWhenSpaceReturns() async throws {
        let folder = TemporaryFolder()
        try FileManager.default.createDirectory(atPath: folder.path, withIntermediateDirectories: true)
        #expect(try run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", folder.path]) == 0, "mount tmpfs")
        defer { _ = try? run(["umount", "-l", folder.path]) }
        let logPath = folder.path + "/log"
        let log = try EventLog(path: logPath)
        var acknowledged = 0
        let error = try await #require(throws: LMDBError.self) {
            while true {
                _ = try await upload(log, acknowledged, size: 100_000)
                acknowledged += 1
            }
        }
        #expect(error.code == .diskFull)
        #expect(acknowledged >= 5)
        #expect(log.latestSequence == SequenceNumber(UInt64(acknowledged)))
        #expect(try log.verify().records == UInt64(acknowledged))
        // More room: the same open log goes on from where it was.
        #expect(try run(["mount", "-o", "remount,size=16m", folder.path]) == 0, "grow tmpfs")
        #expect(try await upload(log, 99_999, size: 100_000) == SequenceNumber(UInt64(acknowledged + 1)))
        log.close()
        let reopened = try EventLog(path: logPath)
        defer { reopened.close() }
        #expect(try reopened.verify().records == UInt64(acknowledged + 1))
    }
}
