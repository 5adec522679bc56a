import Foundation
import RenkeiCrypto
import RenkeiLMDB
@testable import RenkeiLog
import RenkeiModel
import RenkeiStore
import Synchronization
import Testing

/// The built `renkei-log-crash-child`, next to this test bundle in the build products folder.
private func crashChildURL() throws -> URL {
    let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    let url = URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("renkei-log-crash-child")
    guard FileManager.default.isExecutableFile(atPath: url.path) else {
        throw StoreError(.outOfRange, "renkei-log-crash-child is not built at \(url.path)")
    }
    return url
}

/// One acknowledged append, as the child printed it.
private struct Acknowledgement: Hashable {
    let sequence: SequenceNumber
    let bodyHash: SHA256Digest
    let blobHash: SHA256Digest
}

/// Runs the child until it is ready, lets it append for `delay`, kills it with SIGKILL, and returns what it
/// printed: the sequence it started from and every whole ACK line.
private func runAndKill(child: URL, folder: String, round: Int, delay: Duration, environment: [String: String] = [:],
                        whileRunning: () async throws -> Void = {}) async throws -> (start: UInt64, acks: [Acknowledgement]) {
    let process = Process()
    process.executableURL = child
    process.arguments = [folder, String(round)]
    if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.standardError
    let collected = Mutex(Data())
    let finished = DispatchSemaphore(value: 0)
    try process.run()
    let reader = output.fileHandleForReading
    Thread.detachNewThread {
        while true {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            collected.withLock { $0.append(chunk) }
        }
        finished.signal()
    }
    // Wait for READY (the log is open), then let it write for `delay` before the kill.
    let deadline = ContinuousClock.now + .seconds(30)
    while !collected.withLock({ $0.contains(UInt8(ascii: "\n")) }) {
        guard ContinuousClock.now < deadline, process.isRunning else {
            process.terminate()
            throw StoreError(.outOfRange, "the crash child did not start (round \(round))")
        }
        try await Task.sleep(for: .milliseconds(5))
    }
    let started = ContinuousClock.now
    try await whileRunning()
    try await Task.sleep(until: started + delay)
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    finished.wait()
    #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL, "round \(round) ended by itself")

    let text = String(decoding: collected.withLock { $0 }, as: UTF8.self)
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    lines.removeLast() // what follows the last newline is not a whole line
    guard let ready = lines.first, ready.hasPrefix("READY "), let start = UInt64(ready.dropFirst(6)) else {
        throw StoreError(.outOfRange, "no READY line in round \(round)")
    }
    let acks = try lines.dropFirst().map { line -> Acknowledgement in
        let fields = line.split(separator: " ")
        guard fields.count == 4, fields[0] == "ACK", let sequence = UInt64(fields[1]),
              let body = SHA256Digest(hex: fields[2]), let blob = SHA256Digest(hex: fields[3]) else {
            throw StoreError(.corrupt, "unreadable child line: \(line)")
        }
        return Acknowledgement(sequence: SequenceNumber(sequence), bodyHash: body, blobHash: blob)
    }
    return (start, acks)
}

@Suite struct CrashSafetyTests {
    @Test(.timeLimit(.minutes(10)))
    func everyAcknowledgedAppendSurvivesSIGKILL() async throws {
        let child = try crashChildURL()
        let folder = TemporaryFolder()
        var acknowledged: [Acknowledgement] = []
        var generator = SystemRandomNumberGenerator()
        var roundsWithAcks = 0
        var staleReadersCleared = 0
        var liveReads = 0
        for round in 0..<24 {
            let delay = Duration.milliseconds(Int.random(in: 20...400, using: &generator))
            // This process keeps the environment open meanwhile (as an operator's tool might), so the reader
            // table outlives the child and its stale slots must be found and cleared.
            // From the second round on, the observer is an auditor's read-only open of the live store.
            let reader = round > 0 ? try LMDBStoreReader(path: folder.path) : nil
            let observer = try reader?.store.environment ?? Environment(path: folder.path)
            let (start, acks) = try await runAndKill(child: child, folder: folder.path, round: round, delay: delay) {
                // An auditor's read-only open of the store the child is writing: it reads and verifies.
                guard let reader else { return }
                let checked = try reader.verify()
                #expect(checked.events >= acknowledged.last?.sequence.rawValue ?? 0, "round \(round)")
                liveReads += 1
            }
            staleReadersCleared += try observer.clearStaleReaders()
            observer.close()
            // The child resumed exactly after the last durable record, and never reused a number.
            #expect(start >= acknowledged.last?.sequence.rawValue ?? 0, "round \(round)")
            #expect(acks.allSatisfy { $0.sequence.rawValue > start }, "round \(round)")
            acknowledged += acks
            if !acks.isEmpty { roundsWithAcks += 1 }

            let store = try LMDBEventStore(path: folder.path, configuration: crashChildConfiguration())
            let known = acknowledged
            try await store.read { snapshot async throws in
                for ack in known {
                    let event = try #require(try await snapshot.event(at: ack.sequence), "acknowledged \(ack.sequence) is missing after round \(round)")
                    #expect(SHA256.hash(event.body) == ack.bodyHash, "event \(ack.sequence)")
                    #expect(try await snapshot.blob(ack.blobHash) != nil, "file of event \(ack.sequence)")
                }
            }
            // Dense sequences, every leaf the hash of its record, and the root recomputed from the records.
            let verification = try store.verify()
            #expect(verification.events >= acknowledged.last?.sequence.rawValue ?? 0)
            #expect(try await store.read { try await $0.merkleRoot(treeSize: verification.events) } == verification.root)
            await store.close()
        }
        #expect(roundsWithAcks >= 20, "too few rounds got as far as an acknowledgement")
        // Reader slots left by killed readers were found and cleared when the log was opened again.
        #expect(staleReadersCleared > 0)
        #expect(Set(acknowledged.map(\.sequence)).count == acknowledged.count)
        #expect(liveReads == 23)
    }
}

extension CrashSafetyTests {
    /// The kill lands after groups were synced to the write-ahead log and acknowledged, but before any
    /// checkpoint moved them into LMDB (the child's checkpoints are an hour apart): LMDB alone holds none
    /// of them, and reopening recovers every one from the log.
    @Test(.timeLimit(.minutes(10)))
    func acknowledgedGroupsOnlyInTheWriteAheadLogAreRecoveredAfterAKill() async throws {
        let folder = TemporaryFolder()
        let (_, acks) = try await runAndKill(child: try crashChildURL(), folder: folder.path, round: 0, delay: .milliseconds(600),
                                             environment: ["RENKEI_CHECKPOINT_INTERVAL": "3600"])
        try #require(acks.count >= 20, "the child acknowledged only \(acks.count) writes")
        let lmdbOnly = try LMDBStoreReader(path: folder.path, keySpaces: [try KeySpace("uploads")])
        #expect(try lmdbOnly.latestSequence() == .zero, "a checkpoint ran before the kill")
        lmdbOnly.close()
        let store = try LMDBEventStore(path: folder.path, configuration: crashChildConfiguration())
        #expect(store.recovery.groups > 0 && store.recovery.groups <= Int(store.latestSequence.rawValue))
        #expect(store.latestSequence >= acks.last!.sequence)
        try await store.read { snapshot async throws in
            for ack in acks {
                let event = try #require(try await snapshot.event(at: ack.sequence), "acknowledged \(ack.sequence) is missing")
                #expect(SHA256.hash(event.body) == ack.bodyHash)
                #expect(try await snapshot.blob(ack.blobHash).map(SHA256.hash) == ack.blobHash)
            }
        }
        #expect(try store.verify().events == store.latestSequence.rawValue)
        await store.close()
    }
}

/// The child's settings: its key space must be declared by whoever opens the store after it.
private func crashChildConfiguration() throws -> LMDBEventStore.Configuration {
    var configuration = LMDBEventStore.Configuration()
    configuration.keySpaces = [try KeySpace("uploads")]
    return configuration
}
