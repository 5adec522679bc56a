import CarePlanStandard
import Foundation
import Logging
import RenkeiAPI
import RenkeiClient
import RenkeiCore
import RenkeiCrypto
import RenkeiLog
import RenkeiModel
import RenkeiServer
import RenkeiStore
import Synchronization
import Testing

/// A platform server on 127.0.0.1 (any free port) over an LMDB store in a temporary folder, with its own
/// CA, real TLS and mutual authentication, and helpers to enrol offices through the API as an operator
/// would. `stop()` shuts it down gracefully; `restart()` opens the same folder again.
final class TestPlatform: @unchecked Sendable {
    let folder: String
    let ca: PlatformCA
    let checkpointKey: PrivateKey
    private(set) var store: LMDBEventStore
    private(set) var platform: Platform
    private(set) var server: RenkeiServer
    private(set) var running: Task<Void, any Error>
    private(set) var port = 0
    let limits: ServerLimits
    let metricsPort: Int?
    let serverKey: PrivateKey
    let serverCertificate: Certificate
    let listenHost: String
    private(set) var operatorClient: RenkeiClient!

    static let operatorNumber = "9900000001"
    static let auditorNumber = "9900000002"

    /// `otherHosts`: names (IP addresses) besides 127.0.0.1 the server's certificate names; with any, the
    /// server listens on every address, so that a client can reach it from another of the machine's addresses.
    init(limits: ServerLimits = ServerLimits(), metricsPort: Int? = nil, otherHosts: [String] = []) async throws {
        self.metricsPort = metricsPort
        listenHost = otherHosts.isEmpty ? "127.0.0.1" : "0.0.0.0"
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("renkei-server-\(UUID().uuidString)").path
        ca = try PlatformCA.generate(name: "Renkei Server Test", now: Date() - 30 * 86_400)
        checkpointKey = try PrivateKey.generate()
        serverKey = try PrivateKey.generate()
        serverCertificate = try ca.issueServerCertificate(key: serverKey, hostNames: ["127.0.0.1", "localhost"] + otherHosts,
                                                          notBefore: Date() - 86_400, notAfter: Date() + 365 * 86_400)
        self.limits = limits
        (store, platform, server, running, port) = try await Self.start(folder: folder, ca: ca, checkpointKey: checkpointKey, serverKey: serverKey,
                                                                          serverCertificate: serverCertificate, limits: limits, metricsPort: metricsPort, host: listenHost)
        operatorClient = try client(try credential(Self.operatorNumber, role: .operator))
    }

    private static func start(folder: String, ca: PlatformCA, checkpointKey: PrivateKey, serverKey: PrivateKey, serverCertificate: Certificate,
                              limits: ServerLimits, metricsPort: Int? = nil, host: String, port: Int = 0)
        async throws -> (LMDBEventStore, Platform, RenkeiServer, Task<Void, any Error>, Int) {
        var configuration = LMDBEventStore.Configuration()
        configuration.keySpaces = Platform.keySpaces
        configuration.mapSize = 1 << 32
        configuration.writeAheadLogSize = 16 << 20
        let store = try LMDBEventStore(path: folder, configuration: configuration)
        let crl = try ca.makeRevocationList(revoked: [], number: 1, thisUpdate: Date() - 3600, nextUpdate: Date() + 30 * 86_400)
        let platformConfiguration = PlatformConfiguration(
            trustStore: try TrustStore(platform: ca, revocationList: crl),
            checkpointSigner: CheckpointSigner(key: checkpointKey, keyName: "renkei-test", origin: "renkei.test/log"))
        let platform = try Platform(store: store, configuration: platformConfiguration)
        var logger = Logger(label: "renkei.test")
        logger.logLevel = .warning
        let settings = ServerSettings(host: host, port: port, certificateChainPEM: serverCertificate.pem + ca.intermediate.pem,
                                      privateKeyPEM: try serverKey.pem(), platformCAPEM: ca.root.pem + ca.intermediate.pem,
                                      issuingCA: ca, limits: limits, metricsPort: metricsPort, checkpointInterval: nil)
        let server = RenkeiServer(platform: platform, settings: settings, logger: logger)
        let running = Task { try await server.run() }
        let bound = try await server.port
        return (store, platform, server, running, bound)
    }

    /// Stops the server gracefully (calls in flight finish) and closes the store.
    func stop() async {
        await operatorClient?.close()
        server.stop()
        _ = try? await running.value
        await store.close()
    }

    /// Stops, then opens the same folder again on the same port.
    func restart() async throws {
        await stop()
        (store, platform, server, running, port) = try await Self.start(folder: folder, ca: ca, checkpointKey: checkpointKey, serverKey: serverKey,
                                                                          serverCertificate: serverCertificate, limits: limits, metricsPort: metricsPort, host: listenHost, port: port)
        operatorClient = try client(try credential(Self.operatorNumber, role: .operator))
    }

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    var caPEM: String { ca.root.pem + ca.intermediate.pem }

    /// A key and a platform certificate for `number` in `role`.
    func credential(_ number: String, role: OfficeIdentity.Role = .office, notAfter: Date = Date() + 365 * 86_400,
                    notBefore: Date = Date() - 86_400, issuer: PlatformCA? = nil) throws -> Credential {
        let key = try PrivateKey.generate()
        let identity = try OfficeIdentity(officeNumber: number, role: role)
        let issuer = issuer ?? ca
        let certificate = try issuer.issueCertificate(for: try CertificateSigningRequest(key: key, identity: identity), identity: identity,
                                                      notBefore: notBefore, notAfter: notAfter)
        return try Credential(key: key, certificate: certificate, chain: [issuer.intermediate])
    }

    /// A connection presenting `credential`, to the server's address `host`.
    func client(_ credential: Credential, host: String = "127.0.0.1") throws -> RenkeiClient {
        try RenkeiClient(host: host, port: port, credential: credential, platformCAPEM: caPEM)
    }

    /// One of this machine's IPv4 addresses other than loopback (a connection to it comes from it, so it
    /// stands for another host), or nil when the machine has none.
    static func nonLoopbackIPv4() -> String? {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return nil }
        defer { freeifaddrs(list) }
        for entry in sequence(first: first, next: { $0.pointee.ifa_next }) {
            guard let address = entry.pointee.ifa_addr, address.pointee.sa_family == sa_family_t(AF_INET) else { continue }
            var ipv4 = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
            var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
            guard inet_ntop(AF_INET, &ipv4, &text, socklen_t(text.count)) != nil else { continue }
            let name = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if !name.hasPrefix("127.") { return name }
        }
        return nil
    }

    /// A certificate the operator issues through the API from the office's CSR (so the platform records it).
    func issued(_ number: String, role: OfficeIdentity.Role = .office) async throws -> Credential {
        let key = try PrivateKey.generate()
        let csr = try CertificateSigningRequest(key: key, identity: try OfficeIdentity(officeNumber: number, role: role))
        let response = try await operatorClient.issueCertificate(csr: Array(csr.pem.utf8))
        return try Credential(key: key, certificate: try Certificate(pem: response.certificatePem),
                              chain: [try Certificate.chain(pem: response.chainPem)[0]])
    }

    /// An office that applied through the API, and that the operator approved, licensed and certified through it.
    func enrol(_ number: OfficeNumber, kind: ServiceKindCode, prefecture: UInt32 = 13) async throws -> RenkeiClient {
        let office = try client(try await issued(number.rawValue))
        var application = Renkei_V1_RequestRegistrationRequest()
        application.name = "事業所\(number.rawValue.suffix(4))"
        application.serviceKinds = [kind.rawValue]
        application.prefecture = prefecture
        application.contactPerson = "担当 花子"
        application.billingLoginID = "L\(number.rawValue)"
        try await office.requestRegistration(application)
        try await operatorClient.approveRegistration(of: number.rawValue)
        try await operatorClient.activateLicense(for: number.rawValue)
        return office
    }
}

/// A month of generated traffic: a 居宅 office and the service offices it plans care with.
struct Traffic {
    let units: [GeneratedSendUnit]
    init(seed: UInt64 = 7, users: Int = 2) {
        units = CarePlanGenerator(seed: seed, month: YearMonth(year: 2026, month: 12)!, userCount: users).sendUnits()
    }
    func units(_ definition: String) -> [GeneratedSendUnit] { units.filter { $0.definitionID == definition } }
    var plan: GeneratedSendUnit { units("KYOTAKU_USAGE")[0] }
    var actual: GeneratedSendUnit { units("SERVICE_ACTUAL").first { $0.files[0].name.sender == plan.files[0].name.recipient }! }
}

extension GeneratedSendUnit {
    var outgoing: [OutgoingFile] { files.map { OutgoingFile(name: $0.fileName, bytes: $0.bytes) } }
    var sender: OfficeNumber { files[0].name.sender }
    var recipient: OfficeNumber { files[0].name.recipient }
    var senderKind: ServiceKindCode { files[0].name.senderKind ?? .careManagement }
    var recipientKind: ServiceKindCode { files[0].name.recipientKind ?? .careManagement }
}

/// Expects `body` to fail with the Renkei code `code` (and, when given, the gRPC status).
@discardableResult
func expectRefusal<R>(_ code: DomainError.Code, sourceLocation: SourceLocation = #_sourceLocation,
                      _ body: () async throws -> R) async -> RenkeiClientError? {
    do {
        _ = try await body()
        Issue.record("expected refusal \(code), but it succeeded", sourceLocation: sourceLocation)
        return nil
    } catch let error as RenkeiClientError {
        #expect(error.code == code.rawValue, "expected \(code), got \(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected refusal \(code), got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Waits for `process` to end and reads what it wrote to `output` and `errors`, on a thread of its own:
/// the server under test runs its handlers on the few threads async tests share, so a test must not hold
/// one of them while its child talks to that server.
func finished(_ process: Process, output: Pipe, errors: Pipe) async -> (stdout: Data, stderr: Data) {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread {
            let group = DispatchGroup()
            let stdout = Mutex(Data())
            group.enter()
            DispatchQueue.global().async {
                stdout.withLock { $0 = output.fileHandleForReading.readDataToEndOfFile() }
                group.leave()
            }
            let stderr = errors.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            group.wait()
            continuation.resume(returning: (stdout.withLock { $0 }, stderr))
        }
    }
}
