import RenkeiAPI
import RenkeiCore
import RenkeiModel
import RenkeiStore

/// Drives one office's subscription: catch-up from its audit index, then the log's tail, a heartbeat
/// whenever nothing was sent for `heartbeat`. It reads one page at a time and writes each message before
/// reading on, so a subscriber that stops reading suspends only its own task (HTTP/2 flow control stops
/// the writer) and the server holds at most a page for it.
struct Subscription: Sendable {
    let platform: Platform
    let office: String
    let after: UInt64
    let pageSize: Int
    let heartbeat: Duration
    let clock: @Sendable () -> Timestamp
    let shutdown: ShutdownLatch

    func run(_ send: (Renkei_V1_SubscribeResponse) async throws -> Void) async throws {
        var state = SubscriptionState(office: office, after: after)
        // Catch-up: the office's own events, a page at a time, each page from one snapshot.
        while state.phase == .catchingUp {
            let position = state.position
            let (events, lastLine, latest) = try await read { snapshot in
                let lines = try await PlatformQueries(SnapshotProjectionReader(snapshot)).audit(of: office, after: position, limit: pageSize)
                var events: [Event] = []
                for line in lines where MailboxEvents.kinds.contains(line.kind) {
                    if let event = try await snapshot.event(at: line.sequence) { events.append(event) }
                }
                return (events, lines.last?.sequence, lines.count < pageSize ? try await snapshot.latestSequence() : nil)
            }
            for event in events { if let message = try state.take(event) { try await send(message) } }
            // The page's last line moves the position on, even when it was no mailbox event.
            if let lastLine { state.examined(through: lastLine) }
            if let latest { state.caughtUp(through: latest) }
        }
        // Live: wait for the next commit (or the heartbeat), then read what was committed, a page at a time.
        while !Task.isCancelled {
            let position = state.position
            if shutdown.isOpen { throw DomainError(.unavailable, "the platform is shutting down; subscribe again after \(position)") }
            switch await nextCommit(after: position) {
            case .closed, .shuttingDown:
                throw DomainError(.unavailable, "the platform is shutting down; subscribe again after \(state.position)")
            case .quiet:
                try await send(state.heartbeat(micros: clock().rawValue))
                continue
            case .committed:
                break
            }
            let events = try await read { snapshot in try await snapshot.events(from: position.next, limit: pageSize) }
            for event in events { if let message = try state.take(event) { try await send(message) } }
            if let last = events.last { state.examined(through: last.sequence) }
        }
    }

    private enum Wake { case committed, quiet, closed, shuttingDown }

    /// Waits until something is committed after `position`, or `heartbeat` passes, or the store closes.
    private func nextCommit(after position: SequenceNumber) async -> Wake {
        let tail = platform.store.tail(after: position)
        let heartbeat = self.heartbeat
        return await withTaskGroup(of: Wake.self) { group in
            group.addTask {
                var iterator = tail.makeAsyncIterator()
                return await iterator.next() == nil ? (Task.isCancelled ? .quiet : .closed) : .committed
            }
            group.addTask {
                try? await Task.sleep(for: heartbeat)
                return .quiet
            }
            let shutdown = self.shutdown
            group.addTask {
                await shutdown.wait()
                return shutdown.isOpen ? .shuttingDown : .quiet
            }
            let first = await group.next() ?? .closed
            group.cancelAll()
            return first
        }
    }

    private func read<R: Sendable>(_ body: @Sendable (any StoreSnapshot) async throws -> R) async throws -> R {
        try await platform.reading(body)
    }
}
