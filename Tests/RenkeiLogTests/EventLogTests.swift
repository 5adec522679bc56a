import Foundation
import RenkeiCrypto
import RenkeiLMDB
@testable import RenkeiLog
import RenkeiMerkle
import RenkeiModel
import RenkeiZstd
import Testing

@Suite struct EventLogTests {
    @Test func appendedRecordsReadBackWithDenseSequencesAcrossReopen() async throws {
        let folder = TemporaryFolder()
        var bodies: [[UInt8]] = []
        do {
            let log = try EventLog(path: folder.path)
            for n in 0..<10 {
                let body = csvBody("first-\(n)")
                bodies.append(body)
                let sequence = try await log.append(try log.prepare(kind: uploadKind, body: body, timestamp: Timestamp(rawValue: Int64(n))))
                #expect(sequence == SequenceNumber(UInt64(n + 1)))
            }
            log.close()
        }
        let log = try EventLog(path: folder.path)
        #expect(log.latestSequence == SequenceNumber(10))
        let sequence = try await log.append(try log.prepare(kind: EventKind(rawValue: 9), body: csvBody("after")))
        #expect(sequence == SequenceNumber(11))
        try log.read { snapshot throws in
            let records = try snapshot.records(in: .first...SequenceNumber(11))
            #expect(records.map(\.sequence.rawValue) == Array(1...11))
            for (n, record) in records.prefix(10).enumerated() {
                #expect(try snapshot.body(of: record) == bodies[n])
                #expect(record.header.kind == uploadKind)
                #expect(record.header.timestamp == Timestamp(rawValue: Int64(n)))
            }
            #expect(records[10].header.kind == EventKind(rawValue: 9))
            #expect(try snapshot.record(at: SequenceNumber(12)) == nil)
        }
    }

    @Test func manyConcurrentCallersEachGetTheirOwnRecordNoneLostNoneTwice() async throws {
        let folder = TemporaryFolder()
        let log = try EventLog(path: folder.path)
        let callers = 48, perCaller = 40
        let results = try await withThrowingTaskGroup(of: [(SequenceNumber, [UInt8])].self) { group in
            for caller in 0..<callers {
                group.addTask {
                    var mine: [(SequenceNumber, [UInt8])] = []
                    for n in 0..<perCaller {
                        let body = csvBody("caller-\(caller)-\(n)", lines: 1 + n % 4)
                        let sequence = try await log.append(try log.prepare(kind: uploadKind, body: body))
                        mine.append((sequence, body))
                    }
                    return mine
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        // Each caller's own appends come back in log order.
        for mine in results {
            #expect(zip(mine, mine.dropFirst()).allSatisfy { $0.0 < $1.0 })
        }
        let all = results.flatMap { $0 }
        #expect(Set(all.map(\.0)).count == callers * perCaller)
        #expect(all.map(\.0.rawValue).sorted() == Array(1...UInt64(callers * perCaller)))
        try log.read { snapshot throws in
            for (sequence, body) in all {
                let record = try #require(try snapshot.record(at: sequence))
                #expect(try snapshot.body(of: record) == body)
            }
        }
        #expect(try log.verify().records == UInt64(callers * perCaller))
        // Group commit: fewer durable syncs than appends.
        let statistics = log.writerStatistics
        #expect(statistics.requests == callers * perCaller)
        #expect(statistics.commits < statistics.requests)
    }

    @Test func aFailingCallerDoesNotSpoilTheOthersInItsBatch() async throws {
        let folder = TemporaryFolder()
        let log = try EventLog(path: folder.path)
        struct Refused: Error {}
        let outcomes = await withTaskGroup(of: (Int, Result<SequenceNumber, any Error>).self) { group in
            for caller in 0..<60 {
                group.addTask {
                    do {
                        let record = try log.prepare(kind: uploadKind, body: csvBody("c\(caller)"))
                        let blob = try log.prepareBlob(csvBody("file-of-\(caller)", lines: 20))
                        let sequence = try await log.write { txn in
                            try txn.storeBlob(blob)
                            let sequence = try txn.append(record)
                            // Every third caller fails after writing: its record and blob must vanish.
                            if caller % 3 == 0 { throw Refused() }
                            return sequence
                        }
                        return (caller, .success(sequence))
                    } catch {
                        return (caller, .failure(error))
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let succeeded = outcomes.filter { (try? $0.1.get()) != nil }
        #expect(succeeded.count == 40)
        #expect(outcomes.filter { $0.0 % 3 == 0 }.allSatisfy { if case .failure(let e) = $0.1 { e is Refused } else { false } })
        #expect(succeeded.compactMap { try? $0.1.get().rawValue }.sorted() == Array(1...40))
        try log.read { snapshot throws in
            for (caller, _) in outcomes {
                let stored = try snapshot.blobInfo(SHA256.hash(csvBody("file-of-\(caller)", lines: 20))) != nil
                #expect(stored == (caller % 3 != 0), "caller \(caller)")
            }
        }
        #expect(try log.verify().records == 40)
    }

    @Test func blobsAreStoredOnceByContentAndCanBePurged() async throws {
        let folder = TemporaryFolder()
        let log = try EventLog(path: folder.path)
        let file = csvBody("plan", lines: 200)
        let blob = try log.prepareBlob(file)
        #expect(blob.hash == SHA256.hash(file))
        let firstNew = try await log.write { try $0.storeBlob(blob) }
        let secondNew = try await log.write { try $0.storeBlob(try log.prepareBlob(file)) }
        #expect(firstNew && !secondNew)
        try log.read { snapshot throws in
            #expect(try snapshot.blob(blob.hash) == file)
            let info = try #require(try snapshot.blobInfo(blob.hash))
            #expect(info.size == file.count && info.storedSize < file.count / 4)
        }
        let purged = try await log.write { try $0.purgeBlob(blob.hash) }
        let purgedAgain = try await log.write { try $0.purgeBlob(blob.hash) }
        #expect(purged && !purgedAgain)
        try log.read { snapshot throws in #expect(try snapshot.blob(blob.hash) == nil) }
    }

    @Test func dictionariesPerKindSurviveReopenAndAreNeededToRead() async throws {
        let folder = TemporaryFolder()
        let samples = (0..<300).map { csvBody("sample-\($0 * 7919 % 1000)", lines: 30) }
        let dictionary = try ZstdDictionary.train(samples: samples, capacity: 16 << 10)
        let file = csvBody("real-file", lines: 30)
        do {
            let log = try EventLog(path: folder.path)
            #expect(throws: LogError.self) { try log.prepareBlob(file, dictionaryID: dictionary.id) }
            _ = try await log.write { try $0.installDictionary(dictionary) }
            let blob = try log.prepareBlob(file, dictionaryID: dictionary.id)
            let plain = try log.prepareBlob(file)
            #expect(blob.hash == plain.hash)
            _ = try await log.write { try $0.storeBlob(blob) }
            log.close()
        }
        let log = try EventLog(path: folder.path)
        #expect(log.dictionary(id: dictionary.id) != nil)
        try log.read { snapshot throws in
            #expect(try snapshot.blob(SHA256.hash(file)) == file)
            #expect(try snapshot.blobInfo(SHA256.hash(file))?.dictionaryID == dictionary.id)
        }
    }

    @Test func merkleRootsAndProofsMatchTheRecordsAndVerifyOffline() async throws {
        let folder = TemporaryFolder()
        let log = try EventLog(path: folder.path)
        for n in 0..<37 { _ = try await log.append(try log.prepare(kind: uploadKind, body: csvBody("m\(n)"))) }
        let (leaves, root17, root37, proof, consistency) = try log.read { snapshot throws in
            let leaves = try snapshot.records(in: .first...SequenceNumber(37)).map(leafHash)
            return (leaves, try snapshot.merkleRoot(size: 17), try snapshot.merkleRoot(),
                    try snapshot.inclusionProof(of: SequenceNumber(12), treeSize: 37),
                    try snapshot.consistencyProof(from: 17, to: 37))
        }
        #expect(root37 == referenceRoot(leaves[...]))
        #expect(root17 == referenceRoot(leaves[..<17]))
        #expect(MerkleVerifier.verifyInclusion(proof: proof, leafHash: leaves[11], index: 11, size: 37, root: root37))
        #expect(MerkleVerifier.verifyConsistency(proof: consistency, oldSize: 17, newSize: 37, oldRoot: root17, newRoot: root37))
        #expect(try log.verify().root == root37)
        #expect(throws: LogError.self) { try log.read { try $0.merkleRoot(size: 38) } }
    }

    @Test func verifyFindsATamperedRecord() async throws {
        let folder = TemporaryFolder()
        let log = try EventLog(path: folder.path)
        for n in 0..<5 { _ = try await log.append(try log.prepare(kind: uploadKind, body: csvBody("t\(n)"))) }
        // Rewrite record 3 behind the log's back, as an attacker with the file would.
        let database = try log.environment.database(named: "log")
        let key = withUnsafeBytes(of: UInt64(3).bigEndian) { Array($0) }
        try log.environment.write { txn in
            var bytes = try #require(try txn.get(database, key: key))
            bytes[5] ^= 1 // the timestamp
            try txn.put(database, key: key, value: bytes)
        }
        let error = try #require(throws: LogError.self) { try log.verify() }
        #expect(error.code == .corrupt && error.sequence == SequenceNumber(3))
    }

    @Test func aHotBackupTakenWhileWritingOpensAsAConsistentLog() async throws {
        let folder = TemporaryFolder()
        let backup = TemporaryFolder()
        let log = try EventLog(path: folder.path)
        for n in 0..<50 { _ = try await log.append(try log.prepare(kind: uploadKind, body: csvBody("before \(n)"))) }
        let writer = Task {
            for n in 0..<200 { _ = try await log.append(try log.prepare(kind: uploadKind, body: csvBody("during \(n)"))) }
        }
        try log.backup(to: backup.path)
        try await writer.value
        log.close()
        let restored = try EventLog(path: backup.path)
        defer { restored.close() }
        let verification = try restored.verify()
        #expect(verification.records >= 50 && verification.records <= 250)
        // The backup is a prefix of the live log: same root at the backup's size.
        let original = try EventLog(path: folder.path)
        defer { original.close() }
        #expect(try original.read { try $0.merkleRoot(size: verification.records) } == verification.root)
    }

    @Test func keySpacesChangeInTheSameTransactionAsTheEventsTheyFoldFrom() async throws {
        let folder = TemporaryFolder()
        var configuration = EventLog.Configuration()
        configuration.keySpaces = ["mailbox"]
        let log = try EventLog(path: folder.path, configuration: configuration)
        let mailbox = try #require(log.keySpace(named: "mailbox"))
        struct Refused: Error {}
        for office in ["1310000002", "1310000003", "1310000004"] {
            let record = try log.prepare(kind: uploadKind, body: csvBody(office))
            _ = try await log.write { txn in
                let sequence = try txn.append(record)
                try txn.put(Array("\(sequence)".utf8), forKey: Array("inbox/\(office)".utf8), in: mailbox)
                return sequence
            }
        }
        // A request that fails after writing leaves neither its event nor its projection.
        let refused = try log.prepare(kind: uploadKind, body: csvBody("refused"))
        await #expect(throws: Refused.self) {
            try await log.write { txn in
                try txn.append(refused)
                try txn.put([1], forKey: Array("inbox/1310000009".utf8), in: mailbox)
                throw Refused()
            }
        }
        _ = try await log.write { txn in try txn.removeValue(forKey: Array("inbox/1310000003".utf8), in: mailbox) }
        try log.read { snapshot throws in
            #expect(try snapshot.latestSequence() == SequenceNumber(3))
            #expect(try snapshot.count(in: mailbox) == 2)
            #expect(try snapshot.value(forKey: Array("inbox/1310000004".utf8), in: mailbox) == Array("3".utf8))
            var keys: [String] = []
            try snapshot.forEach(in: mailbox, from: Array("inbox/".utf8), to: Array("inbox0".utf8)) { key, _ in
                keys.append(String(decoding: key, as: UTF8.self))
                return true
            }
            #expect(keys == ["inbox/1310000002", "inbox/1310000004"])
        }
        #expect(log.keySpace(named: "unknown") == nil)
        var reserved = EventLog.Configuration()
        reserved.keySpaces = ["blobs"]
        log.close()
        #expect(throws: LogError.self) { try EventLog(path: folder.path, configuration: reserved) }
    }

    @Test func aSecondLogOnTheSameFolderIsRefusedUntilTheFirstCloses() throws {
        let folder = TemporaryFolder()
        let first = try EventLog(path: folder.path)
        let error = try #require(throws: LogError.self) { try EventLog(path: folder.path) }
        #expect(error.code == .inUse)
        first.close()
        let second = try EventLog(path: folder.path)
        second.close()
    }

    @Test func oversizedBodiesAndFilesAreRefusedBeforeWriting() throws {
        let folder = TemporaryFolder()
        var configuration = EventLog.Configuration()
        configuration.maximumBodySize = 1000
        configuration.maximumBlobSize = 2000
        let log = try EventLog(path: folder.path, configuration: configuration)
        let body = try #require(throws: LogError.self) { try log.prepare(kind: uploadKind, body: [UInt8](repeating: 1, count: 1001)) }
        #expect(body.code == .tooLarge)
        let file = try #require(throws: LogError.self) { try log.prepareBlob([UInt8](repeating: 1, count: 2001)) }
        #expect(file.code == .tooLarge)
        #expect(log.latestSequence == .zero)
    }
}
