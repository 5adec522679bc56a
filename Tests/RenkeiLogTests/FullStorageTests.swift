import Foundation
import RenkeiCrypto
import RenkeiLog
import RenkeiModel
import RenkeiStore
import Testing

/// Commits an upload (a file and an event naming it) in one write.
private func upload(_ store: LMDBEventStore, _ n: Int, size: Int) async throws -> SequenceNumber {
    let blob = try store.prepareBlob(incompressible(size, seed: UInt64(n)), kind: "UPPLAN", dictionaryID: nil)
    let receipt = try await store.commit(StoreWrite(
        events: [NewEvent(kind: uploadKind, body: Array("upload \(n) \(blob.hash.hex)".utf8), actor: office, requestID: .random())],
        blobs: [blob]
    ))
    return receipt.latestSequence
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
    @Test func aFullMapIsStorageFullLeavesNothingHalfWrittenAndTheStoreGoesOnInALargerMap() async throws {
        let folder = TemporaryFolder()
        var configuration = LMDBEventStore.Configuration()
        configuration.mapSize = 4 << 20
        configuration.writeAheadLogSize = 2 << 20
        let store = try LMDBEventStore(path: folder.path, configuration: configuration)
        // Eight uploaders at once, each until it is refused: groups decided on top of a group that failed
        // must fail with it, and the sequence must stay dense.
        let outcomes = try await withThrowingTaskGroup(of: (client: Int, acknowledged: [SequenceNumber], error: StoreError?).self) { group in
            for client in 0..<8 {
                group.addTask {
                    var acknowledged: [SequenceNumber] = []
                    do {
                        while true { acknowledged.append(try await upload(store, client * 1000 + acknowledged.count, size: 150_000)) }
                    } catch let error as StoreError {
                        return (client, acknowledged, error)
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.allSatisfy { $0.error?.code == .storageFull }, "\(outcomes.map { $0.error.map(String.init(describing:)) ?? "-" })")
        let sequences = outcomes.flatMap(\.acknowledged).sorted()
        let acknowledged = sequences.count
        #expect(sequences == (1...max(1, acknowledged)).map { SequenceNumber(UInt64($0)) })
        let error = try #require(outcomes.first?.error)
        #expect(error.code == .storageFull)
        #expect(acknowledged >= 10)
        // Everything acknowledged is readable (some of it only from the write-ahead log), the refused
        // uploads left no file behind, and another attempt is refused the same way.
        #expect(store.latestSequence == SequenceNumber(UInt64(acknowledged)))
        for outcome in outcomes {
            let refused = SHA256.hash(incompressible(150_000, seed: UInt64(outcome.client * 1000 + outcome.acknowledged.count)))
            #expect(try await store.read { try await $0.blobInfo(refused) } == nil)
            for n in outcome.acknowledged.indices {
                let kept = SHA256.hash(incompressible(150_000, seed: UInt64(outcome.client * 1000 + n)))
                #expect(try await store.read { try await $0.blob(kept) }.map(SHA256.hash) == kept)
            }
        }
        #expect(try store.verify().events == UInt64(acknowledged))
        let again = try await #require(throws: StoreError.self) { try await upload(store, 99_000, size: 150_000) }
        #expect(again.code == .storageFull)
        await store.close()
        // The operator gives the store a larger map: reopening applies what waited in the write-ahead log.
        configuration.mapSize = 64 << 20
        let larger = try LMDBEventStore(path: folder.path, configuration: configuration)
        #expect(larger.latestSequence == SequenceNumber(UInt64(acknowledged)))
        #expect(try await upload(larger, 10_000, size: 150_000) == SequenceNumber(UInt64(acknowledged + 1)))
        #expect(try larger.verify().events == UInt64(acknowledged + 1))
        await larger.close()
    }

    @Test(.enabled(if: getuid() == 0, "mounting a small tmpfs needs root"))
    func aFullDiskIsStorageFullAndTheStoreRecoversWhenSpaceReturns() async throws {
        let folder = TemporaryFolder()
        try FileManager.default.createDirectory(atPath: folder.path, withIntermediateDirectories: true)
        #expect(try run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", folder.path]) == 0, "mount tmpfs")
        defer { _ = try? run(["umount", "-l", folder.path]) }
        let path = folder.path + "/store"
        var configuration = LMDBEventStore.Configuration()
        configuration.writeAheadLogSize = 1 << 20
        let store = try LMDBEventStore(path: path, configuration: configuration)
        var acknowledged = 0
        let error = try await #require(throws: StoreError.self) {
            while true {
                _ = try await upload(store, acknowledged, size: 100_000)
                acknowledged += 1
            }
        }
        #expect(error.code == .storageFull)
        #expect(acknowledged >= 5)
        #expect(store.latestSequence == SequenceNumber(UInt64(acknowledged)))
        #expect(try store.verify().events == UInt64(acknowledged))
        #expect(try run(["mount", "-o", "remount,size=16m", folder.path]) == 0, "grow tmpfs")
        #expect(try await upload(store, 99_999, size: 100_000) == SequenceNumber(UInt64(acknowledged + 1)))
        await store.close()
        let reopened = try LMDBEventStore(path: path, configuration: configuration)
        #expect(try reopened.verify().events == UInt64(acknowledged + 1))
        await reopened.close()
    }
}
