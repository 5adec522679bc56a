public import AsyncAlgorithms
import GRPCCore
public import RenkeiAPI

extension RenkeiClient {
    /// The office's mailbox events after `cursor`: catch-up, then live. When the stream breaks (the
    /// server restarts, the network drops) it subscribes again from the last cursor it delivered, so no
    /// event is missed or repeated; heartbeats are passed on too (their cursor moves on). Ends when the
    /// consuming task is cancelled, when the stream is dropped, when `close()` is called, or when the server
    /// refuses the subscription (then with that error).
    ///
    /// Nothing is buffered here: the next message is read from the connection only when the consumer asks
    /// for it, so a consumer that stops reading stops the server's writes to it (HTTP/2 flow control).
    public func subscribe(after cursor: UInt64 = 0, heartbeatSeconds: UInt32 = 0,
                          retryDelay: Duration = .milliseconds(200)) -> MailboxStream {
        let channel = AsyncThrowingChannel<Renkei_V1_SubscribeResponse, any Error>()
        // A subscription is meant to stay open: no deadline (heartbeats show it is alive).
        var streamOptions = options
        streamOptions.timeout = nil
        let task = Task { [streamOptions, office] in
            let position = Cursor(cursor)
            while !Task.isCancelled {
                var request = Renkei_V1_SubscribeRequest()
                request.after = position.value
                request.heartbeatSeconds = heartbeatSeconds
                do {
                    try await office.subscribe(request, options: streamOptions) { response in
                        for try await message in response.messages {
                            // Returns once the consumer has taken the message (or the task was cancelled).
                            await channel.send(message)
                            try Task.checkCancellation()
                            position.value = message.cursor
                        }
                    }
                } catch let error as RPCError where [.unavailable, .cancelled, .deadlineExceeded, .unknown, .internalError].contains(error.code) {
                    // The connection broke: subscribe again from `position`.
                } catch is CancellationError {
                    break
                } catch let error as RPCError {
                    channel.fail(RenkeiClientError(error))
                    return
                } catch {
                    channel.fail(error)
                    return
                }
                try? await Task.sleep(for: retryDelay)
            }
            channel.finish()
        }
        return MailboxStream(channel: channel, lifetime: SubscriptionLifetime(task: task, registry: subscriptions))
    }
}

/// A mailbox subscription's messages (see `RenkeiClient.subscribe`). Dropping the stream and every
/// iterator made from it ends the subscription.
public struct MailboxStream: AsyncSequence, Sendable {
    public typealias Element = Renkei_V1_SubscribeResponse
    public typealias Failure = any Error

    private let channel: AsyncThrowingChannel<Renkei_V1_SubscribeResponse, any Error>
    private let lifetime: SubscriptionLifetime

    init(channel: AsyncThrowingChannel<Renkei_V1_SubscribeResponse, any Error>, lifetime: SubscriptionLifetime) {
        self.channel = channel
        self.lifetime = lifetime
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(base: channel.makeAsyncIterator(), lifetime: lifetime)
    }

    public struct Iterator: AsyncIteratorProtocol {
        var base: AsyncThrowingChannel<Renkei_V1_SubscribeResponse, any Error>.Iterator
        let lifetime: SubscriptionLifetime

        public mutating func next() async throws -> Renkei_V1_SubscribeResponse? {
            try await base.next()
        }
    }
}

/// Keeps a subscription's task registered with its client while its stream is held; cancels it after.
final class SubscriptionLifetime: Sendable {
    private let task: Task<Void, Never>
    private let registry: TaskRegistry
    private let id: UInt64

    init(task: Task<Void, Never>, registry: TaskRegistry) {
        self.task = task
        self.registry = registry
        id = registry.add(task)
    }

    deinit {
        task.cancel()
        registry.remove(id)
    }
}

/// The last cursor a subscription delivered; touched only by the subscription's one task.
private final class Cursor: @unchecked Sendable {
    var value: UInt64
    init(_ value: UInt64) { self.value = value }
}
