import Foundation
public import Logging
import RenkeiCore
import RenkeiCrypto
public import RenkeiModel
import RenkeiOffice
import RenkeiServer
import RenkeiStore
import ServiceLifecycle

/// `renkei-server`'s work: opens the store (the embedded LMDB store in the data folder, or PostgreSQL for
/// several servers over one database), the platform over it and the
/// server in front, and runs them until SIGTERM or SIGINT (graceful: calls in flight finish, then the
/// store closes). In development mode the CA, certificates and demo profiles come from `DevelopmentSetup`,
/// and the demo identities' certificates are recorded in the log as issued.
public final class PlatformHost: Sendable {
    public let configuration: HostConfiguration
    /// The development files (nil in production).
    public let development: DevelopmentSetup?
    let store: any EventStore
    let platform: Platform
    let server: RenkeiServer
    let logger: Logger

    /// Opens everything; nothing listens until `run`.
    public init(configuration: HostConfiguration, logger: Logger) async throws(ProgramError) {
        try configuration.validate()
        self.configuration = configuration
        self.logger = logger
        let data = URL(fileURLWithPath: configuration.data)
        try LocalFiles.makeFolder(data)
        let certificates: Certificates
        if configuration.mode == .development {
            let port = configuration.port == 0 ? 0 : configuration.port
            let setup = try DevelopmentSetup.prepare(in: data, hostNames: configuration.hostNames,
                                                     server: "\(configuration.hostNames.first ?? configuration.host):\(port)")
            development = setup
            certificates = try Certificates(development: setup)
        } else {
            development = nil
            certificates = try Certificates(production: configuration)
        }
        // One guarded clock for the log's times and the domain's "today": a step of the system clock is not
        // followed (GuardedClock), so event times stay ordered and licences do not expire early.
        let clock = GuardedClock()
        store = try await PlatformStore.open(configuration.store, data: data, clock: { clock.now() }, logger: logger)
        do {
            platform = try Platform(store: store, configuration: PlatformConfiguration(
                trustStore: certificates.trustStore, clock: { clock.now() },
                checkpointSigner: CheckpointSigner(key: certificates.checkpointKey, keyName: "renkei-platform", origin: "renkei/\(store.identity.id)")))
        } catch {
            throw ProgramError(.storeFailed, "\(error)")
        }
        let settings = ServerSettings(
            host: configuration.host, port: configuration.port, certificateChainPEM: certificates.serverChainPEM,
            privateKeyPEM: certificates.serverKeyPEM, platformCAPEM: certificates.caPEM, issuingCA: certificates.issuingCA,
            metricsPort: configuration.metricsPort,
            checkpointInterval: configuration.checkpointSeconds > 0 ? .seconds(configuration.checkpointSeconds) : nil,
            checkpointCertificatePEM: certificates.checkpointCertificatePEM)
        server = RenkeiServer(platform: platform, settings: settings, logger: logger)
    }

    /// Serves until SIGTERM or SIGINT; `listening` is called with the bound port once the server accepts
    /// connections (after the demo certificates are recorded, in development mode).
    public func run(listening: @escaping @Sendable (Int) async -> Void) async throws {
        let upgraded = try await platform.upgradeProjections()
        if upgraded > 0 { logger.notice("projections upgraded: \(upgraded) entries of an earlier version removed / 旧版の射影データを整理しました") }
        if let development {
            for certificate in development.profileCertificates {
                let known = try await platform.query { try await $0.certificate(serial: certificate.serialNumber.hex) }
                if known == nil { try await platform.recordCertificateIssued(certificate, by: .system) }
            }
        }
        let server = self.server
        let development = self.development
        let configuration = self.configuration
        let announce = Task {
            guard let port = try? await server.port else { return }
            if let development, configuration.port == 0 {
                // Profiles were written before the port was known: point them at it.
                _ = try? DevelopmentSetup.prepare(in: development.folder, hostNames: configuration.hostNames,
                                                  server: "\(configuration.hostNames.first ?? configuration.host):\(port)")
            }
            await listening(port)
        }
        defer { announce.cancel() }
        let group = ServiceGroup(services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
        await store.close()
    }
}

/// The certificates and keys a host serves with.
struct Certificates {
    var caPEM: String
    var serverChainPEM: String
    var serverKeyPEM: String
    var issuingCA: PlatformCA?
    var trustStore: TrustStore
    var checkpointKey: PrivateKey
    var checkpointCertificatePEM: String

    init(development setup: DevelopmentSetup) throws(ProgramError) {
        do {
            caPEM = setup.ca.root.pem + setup.ca.intermediate.pem
            serverChainPEM = setup.serverChainPEM
            serverKeyPEM = setup.serverKeyPEM
            issuingCA = setup.ca
            let crl = try setup.ca.makeRevocationList(revoked: [], number: 1, thisUpdate: Date() - 3600, nextUpdate: Date() + 30 * 86_400)
            trustStore = try TrustStore(platform: setup.ca, revocationList: crl)
            checkpointKey = try PrivateKey(pem: serverKeyPEM)
            checkpointCertificatePEM = serverChainPEM
        } catch {
            throw ProgramError(.badConfiguration, "the development certificates: \(error)")
        }
    }

    init(production configuration: HostConfiguration) throws(ProgramError) {
        func read(_ path: String?, _ what: String) throws(ProgramError) -> String {
            guard let path else { throw ProgramError(.productionNeedsCertificates, what) }
            return String(decoding: try LocalFiles.read(URL(fileURLWithPath: path), limit: 256 << 10), as: UTF8.self)
        }
        caPEM = try read(configuration.ca, "ca")
        serverChainPEM = try read(configuration.certificate, "certificate")
        serverKeyPEM = try read(configuration.key, "key")
        do {
            let ca = try Certificate.chain(pem: caPEM)
            let roots = ca.filter { $0.subject == $0.issuer }, intermediates = ca.filter { $0.subject != $0.issuer }
            guard !roots.isEmpty else { throw ProgramError(.badConfiguration, "\(configuration.ca ?? ""): no root certificate") }
            guard let serverCertificate = try Certificate.chain(pem: serverChainPEM).first,
                  try PrivateKey(pem: serverKeyPEM).matches(serverCertificate) else {
                throw ProgramError(.badConfiguration, "the key does not belong to the server certificate")
            }
            if let caKey = configuration.caKey, let intermediate = intermediates.first, let root = roots.first {
                let ca = try PlatformCA(root: root, intermediate: intermediate, intermediateKey: try PrivateKey(pem: try read(caKey, "caKey")))
                issuingCA = ca
                let crl = try ca.makeRevocationList(revoked: [], number: 1, thisUpdate: Date() - 3600, nextUpdate: Date() + 30 * 86_400)
                trustStore = try TrustStore(platform: ca, revocationList: crl)
            } else {
                issuingCA = nil
                trustStore = try TrustStore(roots: roots, intermediates: intermediates)
            }
            checkpointKey = try PrivateKey(pem: configuration.checkpointKey.map { path throws(ProgramError) in try read(path, "checkpointKey") } ?? serverKeyPEM)
            checkpointCertificatePEM = try configuration.checkpointCertificate.map { path throws(ProgramError) in try read(path, "checkpointCertificate") } ?? serverChainPEM
        } catch let error as ProgramError {
            throw error
        } catch {
            throw ProgramError(.badConfiguration, "the certificates: \(error)")
        }
    }
}
