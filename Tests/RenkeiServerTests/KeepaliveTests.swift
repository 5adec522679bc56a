import GRPCCore
import RenkeiAPI
@testable import RenkeiClient
import RenkeiServer
import Testing

/// gRPC clients ping while a call is open, to find a connection that died without closing. A call that
/// stays silent longer than three of the client's pings — a subscription with a long heartbeat, a Send
/// whose commit waits — keeps its connection when the client pings no more often than the server allows
/// (`ServerLimits.minimumClientPingInterval`), and loses it (GOAWAY ENHANCE_YOUR_CALM) when it pings more
/// often: that was the renkei client's 30 s against the transport's default 5 minutes. Scaled down here:
/// the client pings every second, against a server minimum of a third of a second, and of a minute for
/// the control that must lose its connection.
@Suite(.timeLimit(.minutes(10))) struct KeepaliveTests {
    @Test func aSilentCallOutlivesTheClientsPingsWhenTheServerAllowsThem() async throws {
        async let allowed = silentSubscription(serverMinimum: .milliseconds(333))
        async let tooOften = silentSubscription(serverMinimum: .seconds(60))
        let (kept, control) = try await (allowed, tooOften)
        switch kept {
        case .success(let (sent, received)): #expect(sent == received, "the unit sent after the silence arrives on the same call")
        case .failure(let error): Issue.record("the silent call lost its connection: \(error)")
        }
        switch control {
        case .success: Issue.record("the control kept its connection: the test cannot see the defect")
        case .failure(let error): #expect((error as? RPCError)?.code == .unavailable, "\(error)")
        }
    }

    /// A subscription (heartbeat an hour) on a client that pings every second, silent for 8 s; then a unit
    /// is sent to its office. Its result: the unit sent and the unit the same call received, or how the
    /// call ended.
    private func silentSubscription(serverMinimum: Duration) async throws -> Result<(UInt64, UInt64), any Error> {
        var limits = ServerLimits()
        limits.minimumClientPingInterval = serverMinimum
        let platform = try await TestPlatform(limits: limits)
        let plan = Traffic().plan
        let sender = try await platform.enrol(plan.sender, kind: plan.senderKind)
        let recipient = try await platform.enrol(plan.recipient, kind: plan.recipientKind)
        let listener = try RenkeiClient(host: "127.0.0.1", port: platform.port, credential: recipient.credential,
                                        platformCAPEM: platform.caPEM, keepalive: .seconds(1))
        let unit = UnitSource(plan: plan).unit(0)
        var request = Renkei_V1_SubscribeRequest()
        request.heartbeatSeconds = 3600
        var options = listener.options
        options.timeout = nil
        let result: Result<(UInt64, UInt64), any Error>
        do {
            // The generated client itself (RenkeiClient.subscribe would subscribe again after a broken call).
            // Its handler runs once the server has answered the call, so the 8 s of silence start there, however
            // long a busy machine took to set the call up.
            result = .success(try await listener.office.subscribe(request, options: options) { response in
                let sending = Task {
                    try await Task.sleep(for: .seconds(8))
                    return try await sender.send(unit, to: plan.recipient.rawValue, checker: nil).unitID
                }
                defer { sending.cancel() }
                for try await message in response.messages {
                    if case .received(let received)? = message.event { return (try await sending.value, received.unitID) }
                }
                return (try await sending.value, UInt64(0))
            })
        } catch {
            result = .failure(error)
        }
        for client in [sender, recipient, listener] { await client.close() }
        await platform.stop()
        return result
    }
}
