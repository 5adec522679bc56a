/// The server's bounds on what callers may ask of it. Each is refused with its Renkei code (1033,
/// RESOURCE_EXHAUSTED) and without harm to other callers; API.md lists the defaults.
public struct ServerLimits: Sendable, Hashable {
    /// The most bytes one file chunk of Send or Download carries.
    public var maximumChunkBytes = 1 << 20
    /// The most bytes one gRPC message may hold (the transport refuses a larger one before buffering it).
    public var maximumMessageBytes = (1 << 20) + (64 << 10)
    /// The most files in one send unit.
    public var maximumFilesPerUnit = 64
    /// The most bytes one send unit's files hold together.
    public var maximumUnitBytes = 64 << 20
    /// Send calls one connection may have open at once.
    public var maximumConcurrentSendsPerConnection = 4
    /// Connections one office may hold open at once.
    public var maximumConnectionsPerOffice = 16
    /// Streams one connection may have open at once (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS).
    public var maximumConcurrentStreams = 64
    /// The most entries one listing page returns.
    public var maximumPageSize = 500
    /// How long a connection may stay without an open call before the server closes it.
    public var idleTimeout: Duration = .seconds(300)
    /// How long a TLS handshake may take before the server closes the connection.
    public var handshakeTimeout: Duration = .seconds(10)
    /// How often the server pings a connection, and how long it waits for the answer.
    public var keepaliveInterval: Duration = .seconds(60)
    public var keepaliveTimeout: Duration = .seconds(20)
    /// How often a client may ping while it has a call open (gRPC keepalive); a client that pings more often
    /// three times over has its connection closed (GOAWAY ENHANCE_YOUR_CALM). Without an open call a client
    /// may not ping at all (more than once in two hours). The `renkei` client pings every 30 s.
    public var minimumClientPingInterval: Duration = .seconds(10)
    /// Subscription events the server keeps queued for one slow subscriber (beyond what HTTP/2 flow
    /// control holds in its window) before it stops reading the log for that subscriber.
    public var subscriberBuffer = 64
    /// Heartbeat interval of a subscription whose request does not choose one.
    public var defaultHeartbeat: Duration = .seconds(15)

    /// The defaults.
    public init() {}
}
