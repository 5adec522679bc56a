public import RenkeiCrypto

/// How a platform server listens and whom it trusts.
public struct ServerSettings: Sendable {
    /// The address to listen on, and the port (0: any free port; `RenkeiServer.port` tells which).
    public var host: String
    public var port: Int
    /// The server's certificate followed by the intermediate, PEM.
    public var certificateChainPEM: String
    /// The server certificate's private key, PEM.
    public var privateKeyPEM: String
    /// The platform CA (root and intermediate), PEM: the TLS layer's trust roots for client certificates,
    /// and what `GetServerInfo` hands to clients.
    public var platformCAPEM: String
    /// The CA that issues certificates from CSRs (`IssueCertificate`); nil when certificates are issued
    /// offline and the server holds no CA key.
    public var issuingCA: PlatformCA?
    /// Bounds on callers.
    public var limits: ServerLimits
    /// The port of the Prometheus metrics endpoint on `host` (nil: none).
    public var metricsPort: Int?
    /// How often the platform signs a checkpoint while the log grows (nil: only on request).
    public var checkpointInterval: Duration?
    /// The certificate (chaining to the platform CA) of the key that signs checkpoints, PEM: what
    /// `GetServerInfo` hands to auditors, who verify exports offline against it. Nil: none published.
    public var checkpointCertificatePEM: String?

    public init(host: String = "127.0.0.1", port: Int = 7443, certificateChainPEM: String, privateKeyPEM: String,
                platformCAPEM: String, issuingCA: PlatformCA? = nil, limits: ServerLimits = ServerLimits(),
                metricsPort: Int? = nil, checkpointInterval: Duration? = .seconds(60), checkpointCertificatePEM: String? = nil) {
        self.host = host
        self.port = port
        self.certificateChainPEM = certificateChainPEM
        self.privateKeyPEM = privateKeyPEM
        self.platformCAPEM = platformCAPEM
        self.issuingCA = issuingCA
        self.limits = limits
        self.metricsPort = metricsPort
        self.checkpointInterval = checkpointInterval
        self.checkpointCertificatePEM = checkpointCertificatePEM
    }
}
