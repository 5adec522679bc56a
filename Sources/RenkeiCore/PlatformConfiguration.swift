public import CarePlanStandard
public import RenkeiCrypto
public import RenkeiModel

/// How the platform judges commands. A `Sendable` value with defaults; the program that starts the
/// platform fills in the trust store and, where checkpoints are signed, the key.
public struct PlatformConfiguration: Sendable {
    /// The certificates that office signatures must chain to (the platform CA, with its CRL) and the
    /// external issuers the platform trusts.
    public var trustStore: TrustStore
    /// The platform's notion of now: the day a licence is judged on, the time a signature is verified at.
    /// Tests inject a clock to run a simulated year.
    public var clock: @Sendable () -> Timestamp
    /// The key checkpoints are signed with, and the name in the signed note; nil: no checkpoint signing.
    public var checkpointSigner: CheckpointSigner?
    /// The standard files' checker (the server is the authority; it validates whatever the client did).
    public var checker: StandardChecker
    /// The licence fee, in yen, for one year.
    public var licenseFeeYen: UInt32
    /// The most bytes one send unit's files may hold together.
    public var maximumUnitBytes: Int
    /// The most bytes one attachment (PDF, JPEG, PNG) may hold.
    public var maximumAttachmentBytes: Int
    /// How many times a command is decided again when a concurrent write changed what it read.
    public var maximumAttempts: Int
    /// The retention policy until an operator sets one: downloaded units' files are kept this many days
    /// after their first download…
    public var defaultDownloadedRetentionDays: UInt32
    /// …and undownloaded units' files this many days after their upload.
    public var defaultUndownloadedRetentionDays: UInt32

    /// A configuration with the defaults: ¥21,000 a year; 64 MiB per unit, 16 MiB per attachment; files
    /// kept 90 days after download and 365 days when never downloaded.
    public init(trustStore: TrustStore, clock: @escaping @Sendable () -> Timestamp = { .now() }, checkpointSigner: CheckpointSigner? = nil) {
        self.trustStore = trustStore
        self.clock = clock
        self.checkpointSigner = checkpointSigner
        checker = StandardChecker()
        licenseFeeYen = 21_000
        maximumUnitBytes = 64 << 20
        maximumAttachmentBytes = 16 << 20
        maximumAttempts = 16
        defaultDownloadedRetentionDays = 90
        defaultUndownloadedRetentionDays = 365
    }
}

/// The key that signs checkpoints (tree size and root), and the names in the note.
public struct CheckpointSigner: Sendable {
    /// The platform's checkpoint key.
    public let key: PrivateKey
    /// The key's name in the signature line.
    public let keyName: String
    /// The log's origin line (the platform's name).
    public let origin: String

    /// A signer.
    public init(key: PrivateKey, keyName: String, origin: String) {
        self.key = key
        self.keyName = keyName
        self.origin = origin
    }
}
