import GRPCCore
public import RenkeiAPI

extension RenkeiClient {
    /// The office's mailbox events after `cursor`: catch-up, then live. When the stream breaks (the
    /// server restarts, the network drops) it subscribes again from the last cursor it delivered, so no
    /// event is missed or repeated; heartbeats are passed on too (their cursor moves on). Ends when the
    /// consuming task is cancelled or when the server refuses the subscription (then with that error).
    public func subscribe(after cursor: UInt64 = 0, heartbeatSeconds: UInt32 = 0,
                          retryDelay: Duration = .milliseconds(200)) -> AsyncThrowingStream<Renkei_V1_SubscribeResponse, any Error> {
        let (stream, continuation) = AsyncThrowingStream<Renkei_V1_SubscribeResponse, any Error>.makeStream(bufferingPolicy: .bufferingOldest(256))
        // A subscription is meant to stay open: no deadline (heartbeats show it is alive).
        var streamOptions = options
        streamOptions.timeout = nil
        let task = Task { [streamOptions] in
            let position = Cursor(cursor)
            while !Task.isCancelled {
                var request = Renkei_V1_SubscribeRequest()
                request.after = position.value
                request.heartbeatSeconds = heartbeatSeconds
                do {
                    try await office.subscribe(request, options: streamOptions) { response in
                        for try await message in response.messages {
                            position.value = message.cursor
                            // A full buffer means the consumer is behind: wait for room rather than drop.
                            while case .dropped = continuation.yield(message) {
                                try await Task.sleep(for: .milliseconds(5))
                            }
                        }
                    }
                } catch let error as RPCError where [.unavailable, .cancelled, .deadlineExceeded, .unknown, .internalError].contains(error.code) {
                    // The connection broke: subscribe again from `position`.
                } catch is CancellationError {
                    break
                } catch let error as RPCError {
                    continuation.finish(throwing: RenkeiClientError(error))
                    return
                } catch {
                    continuation.finish(throwing: error)
                    return
                }
                try? await Task.sleep(for: retryDelay)
            }
            continuation.finish()
        }
        let id = subscriptions.add(task)
        continuation.onTermination = { [subscriptions] _ in
            task.cancel()
            subscriptions.remove(id)
        }
        return stream
    }
}

/// The last cursor a subscription delivered; touched only by the subscription's one task.
private final class Cursor: @unchecked Sendable {
    var value: UInt64
    init(_ value: UInt64) { self.value = value }
}
