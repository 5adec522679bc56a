import RenkeiCrypto
import RenkeiMerkle
import RenkeiModel
import RenkeiStore
import RenkeiZstd
import Synchronization
import Testing

/// One conformance suite for every implementation of the storage protocol.
@Suite struct ConformanceTests {
    @Test(arguments: Engine.allCases)
    func eventsGetDenseSequencesAndTheirWholeEnvelope(engine: Engine) async throws {
        let subject = try await StoreUnderTest(engine)
        let store = subject.store
        var appended: [(NewEvent, EventEnvelope)] = []
        for n in 0..<25 {
            let actor: Actor = [office, .operator("山田"), .auditor("audit-1"), .system][n % 4]
            let new = event("e\(n)", kind: UInt16(1 + n % 5), actor: actor)
            appended.append((new, try await store.append(new)))
        }
        #expect(appended.map(\.1.sequence.rawValue) == Array(1...25))
        #expect(store.latestSequence == SequenceNumber(25))
        let read = try await store.read { snapshot async throws in
            (try await snapshot.events(from: .first, limit: 10) + (try await snapshot.events(from: SequenceNumber(11), limit: 100)),
             try await snapshot.envelopes(from: SequenceNumber(20), limit: 3), try await snapshot.event(at: SequenceNumber(26)))
        }
        #expect(read.0.count == 25)
        for ((new, envelope), stored) in zip(appended, read.0) {
            #expect(stored.envelope == envelope)
            #expect(stored.body == new.body && envelope.kind == new.kind && envelope.actor == new.actor && envelope.requestID == new.requestID)
        }
        #expect(read.1.map(\.sequence.rawValue) == [20, 21, 22])
        #expect(read.2 == nil)
        #expect(zip(read.0, read.0.dropFirst()).allSatisfy { $0.envelope.timestamp <= $1.envelope.timestamp })
    }

    @Test(arguments: Engine.allCases)
    func timestampsNeverGoBackwardsWhenTheClockDoes(engine: Engine) async throws {
        let ticks = Mutex<Int64>(1_000_000)
        // A clock that jumps back 10 s every other reading.
        let subject = try await StoreUnderTest(engine) {
            ticks.withLock { value in
                value += value % 2 == 0 ? 1 : -10_000_000
                return Timestamp(rawValue: value + 50_000_000)
            }
        }
        for n in 0..<10 { _ = try await subject.store.commit(StoreWrite(events: [event("a\(n)"), event("b\(n)")])) }
        let stamps = try await subject.store.read { try await $0.envelopes(from: .first, limit: 100).map(\.timestamp) }
        #expect(stamps.count == 20)
        #expect(zip(stamps, stamps.dropFirst()).allSatisfy { $0 <= $1 })
    }

    @Test(arguments: Engine.allCases)
    func aWriteCommitsWhollyOrNotAtAll(engine: Engine) async throws {
        let store = try await StoreUnderTest(engine).store
        let file = Array("202407,1310000001,139999,予定\r\n".utf8)
        let blob = try store.prepareBlob(file, kind: "UPPLAN", dictionaryID: nil)
        let failing = StoreWrite(
            events: [event("x"), event("y")], blobs: [blob], changes: [.put(mailbox, key: [1], value: [1])],
            derivedChanges: { _ in throw Refused() }
        )
        await #expect(throws: Refused.self) { _ = try await store.commit(failing) }
        try await store.read { snapshot async throws in
            #expect(try await snapshot.latestSequence() == .zero)
            #expect(try await snapshot.blobInfo(blob.hash) == nil)
            #expect(try await snapshot.count(in: mailbox) == 0)
        }
        var accepted = failing
        accepted.derivedChanges = { context in
            [.put(mailbox, key: Array("inbox".utf8) + context.events[1].sequence.bigEndianBytes, value: blob.hash.bytes)]
        }
        let receipt = try await store.commit(accepted)
        #expect(receipt.events.map(\.sequence.rawValue) == [1, 2] && receipt.storedBlobs == [blob.hash])
        try await store.read { snapshot async throws in
            #expect(try await snapshot.blob(blob.hash) == file)
            #expect(try await snapshot.value(forKey: [1], in: mailbox) == [1])
            #expect(try await snapshot.value(forKey: Array("inbox".utf8) + SequenceNumber(2).bigEndianBytes, in: mailbox) == blob.hash.bytes)
        }
    }

    @Test(arguments: Engine.allCases)
    func aRefusedWriteChangesNothingWhileTheOthersCommit(engine: Engine) async throws {
        let store = try await StoreUnderTest(engine).store
        let results = await withTaskGroup(of: (Int, Bool).self) { group in
            for n in 0..<40 {
                group.addTask {
                    let write = StoreWrite(
                        conditions: n % 3 == 0 ? [.logEnds(at: SequenceNumber(10_000))] : [],
                        events: [event("w\(n)")], changes: [.put(mailbox, key: [UInt8(n)], value: [UInt8(n)])]
                    )
                    do { _ = try await store.commit(write); return (n, true) } catch { return (n, false) }
                }
            }
            return await group.reduce(into: [(Int, Bool)]()) { $0.append($1) }
        }
        let committed = Set(results.filter(\.1).map(\.0))
        #expect(committed == Set((0..<40).filter { $0 % 3 != 0 }))
        try await store.read { snapshot async throws in
            #expect(try await snapshot.latestSequence() == SequenceNumber(UInt64(committed.count)))
            let keys = try await snapshot.allEntries(in: mailbox).map { Int($0.key[0]) }
            #expect(Set(keys) == committed)
        }
    }

    @Test(arguments: Engine.allCases)
    func manyCallersRacingForOneKeyHaveExactlyOneWinner(engine: Engine) async throws {
        let store = try await StoreUnderTest(engine).store
        let key = Array("idempotency-key".utf8)
        let outcomes = await withTaskGroup(of: StoreError.Code?.self) { group in
            for n in 0..<50 {
                group.addTask {
                    let write = StoreWrite(conditions: [.absent(claims, key: key)], events: [event("claim \(n)")],
                                           changes: [.put(claims, key: key, value: Array("receipt \(n)".utf8))])
                    do { _ = try await store.commit(write); return nil } catch let error as StoreError { return error.code } catch { return .ioFailure }
                }
            }
            return await group.reduce(into: [StoreError.Code?]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 == nil }.count == 1)
        #expect(outcomes.filter { $0 == .conditionFailed }.count == 49)
        #expect(store.latestSequence == SequenceNumber(1))
    }

    @Test(arguments: Engine.allCases)
    func decisionsRetriedOnConflictLoseNoUpdate(engine: Engine) async throws {
        let store = try await StoreUnderTest(engine).store
        let key = Array("counter".utf8)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    while true {
                        let current = try await store.read { try await $0.value(forKey: key, in: claims) }
                        let next = UInt8((current?.first ?? 0) + 1)
                        do {
                            _ = try await store.commit(StoreWrite(conditions: [.unchanged(claims, key: key, value: current)], changes: [.put(claims, key: key, value: [next])]))
                            return
                        } catch let error as StoreError where error.code == .conditionFailed {
                            continue
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await store.read { try await $0.value(forKey: key, in: claims) } == [20])
    }

    @Test(arguments: Engine.allCases)
    func aSnapshotDoesNotSeeWritesCommittedAfterItBegan(engine: Engine) async throws {
        let store = try await StoreUnderTest(engine).store
        _ = try await store.commit(StoreWrite(events: [event("one")], changes: [.put(mailbox, key: [1], value: [1])]))
        let (before, after) = try await store.read { snapshot async throws in
            let before = (try await snapshot.latestSequence(), try await snapshot.value(forKey: [1], in: mailbox))
            _ = try await store.commit(StoreWrite(events: [event("two")], changes: [.put(mailbox, key: [1], value: [2])]))
            return (before, (try await snapshot.latestSequence(), try await snapshot.value(forKey: [1], in: mailbox), try await snapshot.event(at: SequenceNumber(2))))
        }
        #expect(before.0 == SequenceNumber(1) && before.1 == [1])
        #expect(after.0 == SequenceNumber(1) && after.1 == [1] && after.2 == nil)
        #expect(try await store.read { try await $0.value(forKey: [1], in: mailbox) } == [2])
    }

    @Test(arguments: Engine.allCases)
    func aTailCatchesUpThenFollowsManyWritersNoneMissingOrDoubled(engine: Engine) async throws {
        let store = try await StoreUnderTest(engine).store
        for n in 0..<10 { _ = try await store.append(event("old \(n)")) }
        let tail = store.tail(after: SequenceNumber(3))
        let follower = Task {
            var seen: [UInt64] = []
            for await sequence in tail {
                seen.append(sequence.rawValue)
                if seen.count == 7 + 8 * 25 { break }
            }
            return seen
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<8 {
                group.addTask { for n in 0..<25 { _ = try await store.append(event("new \(writer)-\(n)")) } }
            }
            try await group.waitForAll()
        }
        #expect(await follower.value == Array(4...210))
    }

    @Test(arguments: Engine.allCases)
    func aWaitingTailIsSuspendedUntilACommitAndEndsOnCancelOrClose(engine: Engine) async throws {
        let store = try await StoreUnderTest(engine).store
        let tail = store.tail(after: .zero)
        let first = Task { () -> SequenceNumber? in
            var iterator = tail.makeAsyncIterator()
            return await iterator.next()
        }
        while tail.waitingConsumers == 0 { await Task.yield() } // suspended, holding nothing
        _ = try await store.append(event("wakes it"))
        #expect(await first.value == SequenceNumber(1))

        let cancelled = Task { () -> Int in
            var count = 0
            for await _ in tail { count += 1 }
            return count
        }
        while tail.waitingConsumers == 0 { await Task.yield() }
        cancelled.cancel()
        #expect(await cancelled.value == 1)

        let closing = Task { () -> Int in
            var count = 0
            for await _ in tail { count += 1 }
            return count
        }
        while tail.waitingConsumers == 0 { await Task.yield() }
        await store.close()
        #expect(await closing.value == 1)
        let closed = try await #require(throws: StoreError.self) { _ = try await store.append(event("late")) }
        #expect(closed.code == .closed)
    }

    @Test(arguments: Engine.allCases)
    func filesAreStoredOncePerContentAndPurgedWhenTheLastReferenceGoes(engine: Engine) async throws {
        let store = try await StoreUnderTest(engine).store
        let bytes = Array(String(repeating: "202407,1310000001,訪問介護\r\n", count: 50).utf8)
        let blob = try store.prepareBlob(bytes, kind: "UPJSK", dictionaryID: nil)
        #expect(try await store.commit(StoreWrite(blobs: [blob])).storedBlobs == [blob.hash])
        #expect(try await store.commit(StoreWrite(blobs: [blob])).storedBlobs == [])
        #expect(try await store.read { try await $0.blobInfo(blob.hash) }?.references == 2)
        _ = try await store.commit(StoreWrite(releasedBlobs: [blob.hash]))
        #expect(try await store.read { try await $0.blob(blob.hash) } == bytes)
        _ = try await store.commit(StoreWrite(releasedBlobs: [blob.hash]))
        let info = try #require(try await store.read { try await $0.blobInfo(blob.hash) })
        #expect(info == BlobInfo(hash: blob.hash, size: bytes.count, kind: "UPJSK", references: 0) && info.isPurged)
        #expect(try await store.read { try await $0.blob(blob.hash) } == nil)
        let again = try await #require(throws: StoreError.self) { _ = try await store.commit(StoreWrite(releasedBlobs: [blob.hash])) }
        #expect(again.code == .invalidArgument)
        #expect(try await store.commit(StoreWrite(blobs: [blob])).storedBlobs == [blob.hash])
        #expect(try await store.read { try await $0.blob(blob.hash) } == bytes)
    }

    @Test(arguments: Engine.allCases)
    func anInstalledDictionaryReadsBackAndCompressesFiles(engine: Engine) async throws {
        let store = try await StoreUnderTest(engine).store
        let samples = (0..<200).map { Array("202407,13100\($0 % 10)0001,訪問介護,\($0),予定,\($0 * 7)\r\n".utf8) }
        let dictionary = try ZstdDictionary.train(samples: samples, capacity: 4096)
        #expect(try await store.read { try await $0.dictionary(id: dictionary.id) } == nil)
        _ = try await store.commit(StoreWrite(dictionaries: [dictionary.bytes]))
        #expect(try await store.read { try await $0.dictionary(id: dictionary.id) } == dictionary.bytes)
        let file = Array(String(repeating: "202407,1310000001,訪問介護,1,予定,7\r\n", count: 20).utf8)
        let blob = try store.prepareBlob(file, kind: "UPPLAN", dictionaryID: dictionary.id)
        _ = try await store.commit(StoreWrite(blobs: [blob]))
        #expect(try await store.read { try await $0.blob(blob.hash) } == file)
    }

    @Test(arguments: Engine.allCases)
    func keySpacesKeepOrderBoundsCountsAndClear(engine: Engine) async throws {
        let store = try await StoreUnderTest(engine).store
        let keys: [[UInt8]] = [[9], [3], [3, 0], [7], [1], [5, 5], [0xFF, 0xFF]]
        _ = try await store.commit(StoreWrite(changes: keys.map { .put(mailbox, key: $0, value: $0 + $0) } + [.put(claims, key: [1], value: [1])]))
        try await store.read { snapshot async throws in
            #expect(try await snapshot.entries(in: mailbox, from: nil, to: nil, limit: 100).map(\.key) == [[1], [3], [3, 0], [5, 5], [7], [9], [0xFF, 0xFF]])
            #expect(try await snapshot.entries(in: mailbox, from: [3], to: [7], limit: 100).map(\.key) == [[3], [3, 0], [5, 5]])
            #expect(try await snapshot.entries(in: mailbox, from: [3, 0, 0], to: nil, limit: 2).map(\.key) == [[5, 5], [7]])
            #expect(try await snapshot.entries(in: mailbox, from: [3], to: [3], limit: 100).isEmpty)
            #expect(try await snapshot.allEntries(in: mailbox, pageSize: 2).count == 7)
            #expect(try await snapshot.value(forKey: [5, 5], in: mailbox) == [5, 5, 5, 5])
            // Several at once, in the order asked, absent ones nil, a key asked twice answered twice.
            let asked: [(space: KeySpace, key: [UInt8])] = [(mailbox, [7]), (claims, [7]), (claims, [1]), (mailbox, [4]), (mailbox, [7])]
            #expect(try await snapshot.values(forKeys: asked) == [[7, 7], nil, [1], nil, [7, 7]])
            #expect(try await snapshot.values(forKeys: []).isEmpty)
            #expect(try await snapshot.count(in: mailbox) == 7)
        }
        _ = try await store.commit(StoreWrite(changes: [.delete(mailbox, key: [9]), .delete(mailbox, key: [42])]))
        #expect(try await store.read { try await $0.count(in: mailbox) } == 6)
        _ = try await store.commit(StoreWrite(changes: [.clear(mailbox), .put(mailbox, key: [2], value: [])]))
        try await store.read { snapshot async throws in
            #expect(try await snapshot.allEntries(in: mailbox) == [KeyValue(key: [2], value: [])])
            #expect(try await snapshot.count(in: claims) == 1)
        }
    }

    @Test(arguments: Engine.allCases)
    func badInputIsRefusedWithItsCodeAndChangesNothing(engine: Engine) async throws {
        let store = try await StoreUnderTest(engine).store
        let undeclared = try KeySpace("undeclared")
        let cases: [(StoreWrite, StoreError.Code)] = [
            (StoreWrite(changes: [.put(undeclared, key: [1], value: [1])]), .unknownKeySpace),
            (StoreWrite(events: [event("ok")], changes: [.put(mailbox, key: [], value: [1])]), .invalidArgument),
            (StoreWrite(events: [event("ok")], changes: [.put(mailbox, key: [UInt8](repeating: 1, count: 512), value: [1])]), .invalidArgument),
            (StoreWrite(events: [NewEvent(kind: EventKind(rawValue: 1), body: [UInt8](repeating: 0, count: (4 << 20) + 1), actor: office, requestID: .none)]), .tooLarge),
            (StoreWrite(events: [event("bad actor", actor: .operator(""))]), .invalidArgument),
            (StoreWrite(events: [event("ok")], dictionaries: [[1, 2, 3]]), .invalidArgument),
        ]
        for (write, code) in cases {
            let error = try await #require(throws: StoreError.self) { _ = try await store.commit(write) }
            #expect(error.code == code, "\(error)")
        }
        #expect(throws: StoreError.self) { try KeySpace("Not Valid") }
        #expect(throws: StoreError.self) { try store.prepareBlob([1], kind: "", dictionaryID: nil) }
        #expect((try? store.prepareBlob([1], kind: "UPPLAN", dictionaryID: 12345)) == nil)
        try await store.read { snapshot async throws in
            #expect(try await snapshot.latestSequence() == .zero)
            #expect(try await snapshot.count(in: mailbox) == 0)
        }
    }

    @Test(arguments: Engine.allCases)
    func proofsVerifyOfflineAndCheckpointsRecordTheRootAtTheirSize(engine: Engine) async throws {
        let store = try await StoreUnderTest(engine).store
        for n in 0..<37 { _ = try await store.append(event("p\(n)")) }
        // A checkpoint recorded inside the write that reaches size 38, from the writer's frontier.
        let receipt = try await store.commit(StoreWrite(events: [event("checkpointed")], derivedChanges: { context in
            [.put(.checkpoints, key: withUnsafeBytes(of: context.treeSize.bigEndian) { Array($0) }, value: context.root.bytes),
             .recordApplied("mailbox", through: context.events[0].sequence)]
        }))
        #expect(receipt.latestSequence == SequenceNumber(38))
        try await store.read { snapshot async throws in
            let events = try await snapshot.events(from: .first, limit: 100)
            let leaves = events.map { MerkleHash.leaf($0.recordBytes) }
            for size in [1, 2, 5, 16, 17, 37, 38] as [UInt64] {
                let root = try await snapshot.merkleRoot(treeSize: size)
                #expect(root == referenceRoot(leaves[0 ..< Int(size)]))
                for index in [0, size / 2, size - 1] {
                    let proof = try await snapshot.inclusionProof(of: SequenceNumber(index + 1), treeSize: size)
                    #expect(MerkleVerifier.verifyInclusion(proof: proof, leafHash: leaves[Int(index)], index: index, size: size, root: root))
                }
                for old in [1, size / 3, size] as [UInt64] where old >= 1 {
                    let proof = try await snapshot.consistencyProof(from: old, to: size)
                    #expect(MerkleVerifier.verifyConsistency(proof: proof, oldSize: old, newSize: size, oldRoot: try await snapshot.merkleRoot(treeSize: old), newRoot: root))
                }
            }
            let stored = try await snapshot.value(forKey: withUnsafeBytes(of: UInt64(38).bigEndian) { Array($0) }, in: .checkpoints)
            #expect(stored == (try await snapshot.merkleRoot(treeSize: 38)).bytes)
            #expect(try await snapshot.appliedSequence(of: "mailbox") == SequenceNumber(38))
            #expect(try await snapshot.appliedSequence(of: "audit") == .zero)
            await #expect(throws: StoreError.self) { _ = try await snapshot.merkleRoot(treeSize: 39) }
            await #expect(throws: StoreError.self) { _ = try await snapshot.inclusionProof(of: SequenceNumber(39), treeSize: 38) }
        }
    }
}
