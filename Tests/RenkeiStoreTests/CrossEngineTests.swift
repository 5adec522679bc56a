import RenkeiCrypto
import RenkeiMerkle
import RenkeiModel
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
