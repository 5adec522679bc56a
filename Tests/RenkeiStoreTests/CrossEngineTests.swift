import Foundation
import RenkeiCrypto
import RenkeiMerkle
import RenkeiModel
import RenkeiPostgres
import RenkeiStore
import RenkeiZstd
import Testing

@Suite struct CrossEngineTests {
    @Test func theSameWritesGiveTheSameRootsRecordsAndDigestsOnEveryEngine() async throws {
        let clock: @Sendable () -> Timestamp = { Timestamp(rawValue: 1_764_400_000_000_000) }
        var stores: [StoreUnderTest] = []
        for engine in Engine.allCases { stores.append(try await StoreUnderTest(engine, clock: clock)) }
        let request = RequestID.random()
        for store in stores {
            for n in 0..<20 {
                _ = try await store.store.commit(StoreWrite(
                    events: [NewEvent(kind: EventKind(rawValue: 3), body: Array("same \(n)".utf8), actor: office, requestID: request)],
                    changes: [.put(mailbox, key: Array("k\(n % 7)".utf8), value: Array("v\(n)".utf8))]
                ))
            }
        }
        var answers: [[String]] = []
        for store in stores {
            answers.append(try await store.store.read { snapshot async throws in
                [try await snapshot.merkleRoot(treeSize: 20).hex, try await snapshot.digest(of: mailbox).hex,
                 try await snapshot.digest(of: claims).hex, SHA256.hash(try await snapshot.event(at: SequenceNumber(7))!.recordBytes).hex]
            })
        }
        #expect(Set(answers).count == 1, "\(answers)")
    }

    @Test func errorCodesAreUniqueAcrossTheStoresErrorTypes() {
        let store: [StoreError.Code] = [.closed, .tooLarge, .corrupt, .unknownDictionary, .unsupportedFormat, .outOfRange, .inUse, .storageFull,
                                        .conditionFailed, .overloaded, .invalidArgument, .unknownKeySpace, .readOnly, .missingData, .ioFailure, .unavailable]
        let zstd: [ZstdError.Code] = [.corruptFrame, .truncatedFrame, .unknownDictionary, .outputTooLarge, .dictionaryTraining, .invalidDictionary, .inputTooLarge, .library]
        let merkle: [MerkleError.Code] = [.leafOutOfRange, .sizesOutOfOrder, .missingNode]
        let all = store.map(\.rawValue) + zstd.map { Int($0.rawValue) } + merkle.map { Int($0.rawValue) }
        #expect(Set(all).count == all.count)
        #expect(store.allSatisfy { (500..<600).contains($0.rawValue) })
        #expect(zstd.allSatisfy { (600..<700).contains(Int($0.rawValue)) })
        #expect(merkle.allSatisfy { (700..<800).contains(Int($0.rawValue)) })
        #expect(StoreError(.storageFull, "x").description.contains("保存領域が一杯です / storage is full"))
    }
}

/// Two PostgreSQL stores over one schema — two servers' views of one database — appending at the same time:
/// one order (sequences dense from 1, each event once), one Merkle tree (both report the same root), and a
/// tail on either sees the other's commits (LISTEN/NOTIFY).
@Suite struct TwoNodeTests {
    @Test func twoStoresOverOneSchemaAppendingAtOnceKeepOneOrderAndOneTree() async throws {
        let configuration = try StoreUnderTest.postgresConfiguration(schemaPrefix: "nodes_")
        let first = try await PostgresEventStore.open(configuration)
        let second = try await PostgresEventStore.open(configuration)
        #expect(first.identity == second.identity)
        let perWriter = 40, writers = 3
        let tail = first.tail(after: .zero)
        let follower = Task {
            var seen: [UInt64] = []
            for await sequence in tail {
                seen.append(sequence.rawValue)
                if seen.count == 2 * writers * perWriter { break }
            }
            return seen
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, node) in [first, second].enumerated() {
                for writer in 0..<writers {
                    group.addTask {
                        for n in 0..<perWriter {
                            _ = try await node.commit(StoreWrite(events: [event("node \(index) writer \(writer) #\(n)")],
                                                                 changes: [.put(mailbox, key: Array("\(index)-\(writer)-\(n)".utf8), value: [1])]))
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let total = 2 * writers * perWriter
        #expect(await follower.value == Array(1...UInt64(total)), "the first node's tail saw every commit, the second's too")
        let (events, rootA, countA) = try await first.read { snapshot in
            (try await snapshot.events(from: .first, limit: 1000), try await snapshot.merkleRoot(treeSize: UInt64(total)), try await snapshot.count(in: mailbox))
        }
        let rootB = try await second.read { try await $0.merkleRoot(treeSize: UInt64(total)) }
        #expect(events.map(\.sequence.rawValue) == Array(1...UInt64(total)))
        #expect(Set(events.map(\.body)).count == total, "each event once")
        #expect(rootA == rootB && rootA == referenceRoot(events.map { MerkleHash.leaf($0.recordBytes) }[...]))
        #expect(countA == total)
        #expect(zip(events, events.dropFirst()).allSatisfy { $0.envelope.timestamp <= $1.envelope.timestamp }, "times never go back across nodes")
        await first.close()
        await second.close()
    }
}
