import NIOCore
import NIOSSL
import NIOTLS
import RenkeiCore
import RenkeiCrypto
import Synchronization

/// Counts what callers hold open, so that one caller's excess is refused (1033, or a closed connection)
/// without touching anyone else: Send calls per connection, connections per office.
final class ConnectionLimiter: Sendable {
    private let sends = Mutex<[String: Int]>([:])
    private let connections = Mutex<[String: Int]>([:])
    private let subscriptions = Atomic<Int>(0)
    let limits: ServerLimits

    init(limits: ServerLimits) { self.limits = limits }

    /// Runs a Send call's `body` if connection `peer` has room for another.
    func withSend<R>(on peer: String, _ body: () async throws -> R) async throws -> R {
        let admitted = sends.withLock { counts in
            guard counts[peer, default: 0] < limits.maximumConcurrentSendsPerConnection else { return false }
            counts[peer, default: 0] += 1
            return true
        }
        guard admitted else {
            throw ServerErrors.detail(.limitExceeded, "at most \(limits.maximumConcurrentSendsPerConnection) Send calls at once on one connection")
        }
        defer {
            sends.withLock { counts in
                counts[peer, default: 1] -= 1
                if counts[peer] == 0 { counts[peer] = nil }
            }
        }
        return try await body()
    }

    /// Takes a connection slot for `office`; false when it holds its maximum already.
    func openConnection(of office: String) -> Bool {
        connections.withLock { counts in
            guard counts[office, default: 0] < limits.maximumConnectionsPerOffice else { return false }
            counts[office, default: 0] += 1
            return true
        }
    }

    func closeConnection(of office: String) {
        connections.withLock { counts in
            counts[office, default: 1] -= 1
            if counts[office] == 0 { counts[office] = nil }
        }
    }

    /// Runs a subscription's `body`, counting it as open meanwhile.
    func withSubscription<R>(_ body: () async throws -> R) async throws -> R {
        ServerMetrics.subscribers.record(subscriptions.add(1, ordering: .relaxed).newValue)
        defer { ServerMetrics.subscribers.record(subscriptions.subtract(1, ordering: .relaxed).newValue) }
        return try await body()
    }

    /// Subscriptions open now.
    var openSubscriptions: Int { subscriptions.load(ordering: .relaxed) }
}

/// Sits right after the TLS handler of each accepted connection: closes a connection whose handshake
/// has not finished within the limit (a client that connects and says nothing holds no slot for long),
/// and once it has, counts the connection against its office's maximum.
final class ConnectionGuard: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = NIOAny

    private let limiter: ConnectionLimiter
    private var deadline: Scheduled<Void>?
    private var office: String?

    init(limiter: ConnectionLimiter) { self.limiter = limiter }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        let timeout = limiter.limits.handshakeTimeout.components
        let nanoseconds = timeout.seconds * 1_000_000_000 + timeout.attoseconds / 1_000_000_000
        deadline = context.eventLoop.scheduleTask(in: .nanoseconds(nanoseconds)) { channel.close(promise: nil) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let tls = event as? TLSUserEvent, case .handshakeCompleted = tls {
            deadline?.cancel()
            deadline = nil
            let channel = context.channel
            let limiter = self.limiter
            channel.nioSSL_peerCertificate().whenSuccess { certificate in
                guard let der = try? certificate?.toDERBytes(),
                      let identity = try? Certificate(der: der).claimedIdentity(), identity.role == .office else { return }
                if limiter.openConnection(of: identity.officeNumber) {
                    self.office = identity.officeNumber
                } else {
                    channel.close(promise: nil)
                }
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        if let office { limiter.closeConnection(of: office) }
        office = nil
        context.fireChannelInactive()
    }
}
