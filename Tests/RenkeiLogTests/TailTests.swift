import RenkeiLog
import RenkeiModel
import Testing

@Suite struct TailTests {
    @Test func aTailCatchesUpThenFollowsLiveCommitsInOrder() async throws {
        let folder = TemporaryFolder()
        let log = try EventLog(path: folder.path)
        for n in 0..<10 { _ = try await log.append(try log.prepare(kind: uploadKind, body: csvBody("old\(n)"))) }
        let follower = Task {
            var seen: [UInt64] = []
            for await sequence in log.tail(after: SequenceNumber(3)) {
                seen.append(sequence.rawValue)
                if seen.count == 27 { break }
            }
            return seen
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<4 {
                group.addTask {
                    for n in 0..<5 { _ = try await log.append(try log.prepare(kind: uploadKind, body: csvBody("new\(writer)-\(n)"))) }
                }
            }
            try await group.waitForAll()
        }
        #expect(await follower.value == Array(4...30))
    }

    @Test func aWaitingTailEndsWhenCancelledOrWhenTheLogCloses() async throws {
        let folder = TemporaryFolder()
        let log = try EventLog(path: folder.path)
        _ = try await log.append(try log.prepare(kind: uploadKind, body: csvBody("only")))
        let cancelled = Task {
            var count = 0
            for await _ in log.tail(after: .zero) { count += 1 }
            return count
        }
        try await Task.sleep(for: .milliseconds(50))
        cancelled.cancel()
        #expect(await cancelled.value == 1)

        let closing = Task {
            var count = 0
            for await _ in log.tail(after: .zero) { count += 1 }
            return count
        }
        try await Task.sleep(for: .milliseconds(50))
        log.close()
        #expect(await closing.value == 1)
        await #expect(throws: LogError.self) { try await log.append(try log.prepare(kind: uploadKind, body: [1])) }
    }
}
