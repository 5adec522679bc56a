import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
public import Logging
import NIOCore
import NIOSSL
public import RenkeiCore
public import ServiceLifecycle

/// The platform server: renkei.v1 over gRPC on HTTP/2 and TLS with client certificates required, thin
/// handlers over `Platform`, run as a `Service` under swift-service-lifecycle. A graceful shutdown stops
/// taking calls and lets those in flight finish; an upload whose bytes had all arrived is committed or
/// refused whole.
public final class RenkeiServer: Service, Sendable {
    /// The server's version, as `GetServerInfo` reports it.
    public static let version = "0.15.0"

    public let platform: Platform
    public let settings: ServerSettings
    /// Verifies client certificates and names callers; `replaceTrustStore` takes a new CRL.
    public let authenticator: ClientAuthenticator
    let limiter: ConnectionLimiter
    private let transport: HTTP2ServerTransport.Posix
    private let server: GRPCServer<HTTP2ServerTransport.Posix>
    private let logger: Logger
    private let shutdown: ShutdownLatch

    /// A server for `platform` (which the caller opened on the store it chose).
    public init(platform: Platform, settings: ServerSettings, logger: Logger = Logger(label: "renkei.server")) {
        self.platform = platform
        self.settings = settings
        self.logger = logger
        let authenticator = ClientAuthenticator(platform: platform)
        self.authenticator = authenticator
        let limiter = ConnectionLimiter(limits: settings.limits)
        self.limiter = limiter
        let limits = settings.limits
        let shutdown = ShutdownLatch()
        self.shutdown = shutdown

        let security = HTTP2ServerTransport.Posix.TransportSecurity.mTLS(
            certificateChain: [.bytes(Array(settings.certificateChainPEM.utf8), format: .pem)],
            privateKey: .bytes(Array(settings.privateKeyPEM.utf8), format: .pem)
        ) { tls in
            tls.trustRoots = .certificates([.bytes(Array(settings.platformCAPEM.utf8), format: .pem)])
            tls.clientCertificateVerification = .noHostnameVerification
            tls.customVerificationCallback = authenticator.verifyHandshake
        }
        var config = HTTP2ServerTransport.Posix.Config.defaults
        config.rpc.maxRequestPayloadSize = limits.maximumMessageBytes
        config.http2.maxConcurrentStreams = limits.maximumConcurrentStreams
        config.connection.maxIdleTime = limits.idleTimeout
        config.connection.keepalive.time = limits.keepaliveInterval
        config.connection.keepalive.timeout = limits.keepaliveTimeout
        // The transport's default lets a client ping only every 5 minutes, even with a call open: a client that
        // pings more often (ours every 30 s) loses its connection after three pings when the server writes
        // nothing meanwhile — a Send whose commit waits, a subscription with a long heartbeat.
        config.connection.keepalive.clientBehavior = .init(minPingIntervalWithoutCalls: limits.minimumClientPingInterval, allowWithoutCalls: false)
        config.channelDebuggingCallbacks.onAcceptTCPConnection = { channel in
            channel.eventLoop.makeCompletedFuture {
                let tls = try channel.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self)
                try channel.pipeline.syncOperations.addHandler(ConnectionGuard(limiter: limiter), position: .after(tls))
            }
        }
        transport = HTTP2ServerTransport.Posix(address: .ipv4(host: settings.host, port: settings.port), transportSecurity: security, config: config)
        server = GRPCServer(
            transport: transport,
            services: [
                OfficeServiceHandler(platform: platform, authenticator: authenticator, settings: settings, connections: limiter, shutdown: shutdown),
                OperatorServiceHandler(platform: platform, authenticator: authenticator, settings: settings),
                AuditServiceHandler(platform: platform, authenticator: authenticator, settings: settings),
            ],
            interceptors: [ObservationInterceptor(logger: logger), AccessInterceptor(authenticator: authenticator, logger: logger)]
        )
    }

    /// Subscriptions open now.
    public var openSubscriptions: Int { limiter.openSubscriptions }

    /// The port the server listens on, once it does.
    public var port: Int {
        get async throws {
            guard let address = try await transport.listeningAddress.ipv4 else { return settings.port }
            return address.port
        }
    }

    /// Serves until a graceful shutdown (a signal to the service group, or `stop()`), with the platform's
    /// checkpoint schedule and the metrics endpoint beside it.
    public func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            if let interval = settings.checkpointInterval {
                let platform = self.platform
                group.addTask { await platform.runCheckpointSchedule(every: interval) }
            }
            if let ca = settings.issuingCA {
                let publisher = RevocationPublisher(platform: platform, ca: ca, authenticator: authenticator, logger: logger)
                group.addTask { await publisher.run() }
            }
            if let port = settings.metricsPort {
                let endpoint = MetricsEndpoint(host: settings.host, port: port, logger: logger)
                group.addTask { try await endpoint.run() }
            }
            try await withGracefulShutdownHandler {
                logger.info("listening", metadata: ["host": "\(settings.host)", "port": "\(settings.port)"])
                try await server.serve()
            } onGracefulShutdown: { [self] in
                stop()
            }
            group.cancelAll()
        }
    }

    /// Stops taking new calls and connections; calls in flight finish, then `run()` returns.
    public func stop() {
        shutdown.open()
        server.beginGracefulShutdown()
    }
}
