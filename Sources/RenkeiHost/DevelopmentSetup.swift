import Foundation
public import RenkeiCrypto
public import RenkeiModel
import RenkeiOffice

/// What a first start in development mode creates in the data folder, and finds again later:
///
/// ```
/// pki/ca-root.pem, ca-intermediate.pem, ca-intermediate.key, ca.pem   a local platform CA
/// pki/server.pem, server.key                                          the server certificate (hostNames)
/// profiles/kyotaku/   居宅介護支援事業所 1310000001 (サービス種類 43)      client profiles (`renkei --profile …`)
/// profiles/houmon/    訪問介護事業所 1310000002 (サービス種類 11)
/// profiles/operator/  運用者 9900000001
/// profiles/auditor/   監査人 9900000002
/// ```
/// The demo office numbers are those of the standard's example files, so they can be sent as they are.
public struct DevelopmentSetup: Sendable {
    /// One demo identity.
    public struct Identity: Sendable {
        public let name: String
        public let number: String
        public let role: OfficeIdentity.Role
        public let serviceKind: String?
        public let label: String
    }

    public static let identities = [
        Identity(name: "kyotaku", number: "1310000001", role: .office, serviceKind: "43", label: "居宅介護支援事業所 (care management)"),
        Identity(name: "houmon", number: "1310000002", role: .office, serviceKind: "11", label: "訪問介護事業所 (home-visit care)"),
        Identity(name: "operator", number: "9900000001", role: .operator, serviceKind: nil, label: "運用者 (operator)"),
        Identity(name: "auditor", number: "9900000002", role: .auditor, serviceKind: nil, label: "監査人 (auditor)"),
    ]

    public let folder: URL
    public let ca: PlatformCA
    public let serverChainPEM: String
    public let serverKeyPEM: String
    /// Whether this start created the files.
    public let created: Bool
    /// The certificates of the demo profiles (to record in the log).
    public let profileCertificates: [Certificate]

    var pki: URL { folder.appendingPathComponent("pki") }
    public func profile(_ name: String) -> URL { folder.appendingPathComponent("profiles").appendingPathComponent(name) }
    public var caFile: URL { pki.appendingPathComponent("ca.pem") }

    /// Opens the development files in `folder`, creating them on first start.
    public static func prepare(in folder: URL, hostNames: [String], server: String) throws(ProgramError) -> DevelopmentSetup {
        let pki = folder.appendingPathComponent("pki")
        let created = !FileManager.default.fileExists(atPath: pki.appendingPathComponent("ca.pem").path)
        do {
            if created { try create(in: folder, hostNames: hostNames, server: server) }
            func read(_ name: String) throws -> String { String(decoding: try LocalFiles.read(pki.appendingPathComponent(name), limit: 256 << 10), as: UTF8.self) }
            let ca = try PlatformCA(root: try Certificate(pem: try read("ca-root.pem")), intermediate: try Certificate(pem: try read("ca-intermediate.pem")),
                                    intermediateKey: try PrivateKey(pem: try read("ca-intermediate.key")))
            var certificates: [Certificate] = []
            for identity in identities {
                let profileFolder = folder.appendingPathComponent("profiles").appendingPathComponent(identity.name)
                guard let profile = try? ClientProfile(folder: profileFolder) else { continue }
                certificates.append(profile.credential.certificate)
                // The profiles follow the server: a start on another port or address rewrites where they connect.
                if profile.settings.server != server {
                    try ClientProfile.write(profile.credential, settings: .init(server: server, office: profile.settings.office, role: profile.settings.role),
                                            platformCAPEM: profile.platformCAPEM, to: profileFolder)
                }
            }
            return DevelopmentSetup(folder: folder, ca: ca, serverChainPEM: try read("server.pem"), serverKeyPEM: try read("server.key"),
                                    created: created, profileCertificates: certificates)
        } catch let error as ProgramError {
            throw error
        } catch {
            throw ProgramError(.badConfiguration, "the development files in \(pki.path): \(error)")
        }
    }

    private static func create(in folder: URL, hostNames: [String], server: String) throws {
        let pki = folder.appendingPathComponent("pki")
        try LocalFiles.makeFolder(pki)
        let now = Date()
        let ca = try PlatformCA.generate(name: "Renkei Development", now: now)
        let serverKey = try PrivateKey.generate()
        let serverCertificate = try ca.issueServerCertificate(key: serverKey, hostNames: hostNames, notBefore: now - 3600, notAfter: now + 825 * 86_400)
        let caPEM = ca.root.pem + ca.intermediate.pem
        for identity in identities {
            let key = try PrivateKey.generate()
            let subject = try OfficeIdentity(officeNumber: identity.number, role: identity.role)
            let certificate = try ca.issueCertificate(for: try CertificateSigningRequest(key: key, identity: subject), identity: subject,
                                                      notBefore: now - 3600, notAfter: now + 825 * 86_400)
            try ClientProfile.write(try Credential(key: key, certificate: certificate, chain: [ca.intermediate]),
                                    settings: .init(server: server, office: identity.number, role: identity.role.rawValue),
                                    platformCAPEM: caPEM, to: folder.appendingPathComponent("profiles").appendingPathComponent(identity.name))
        }
        // The CA files last: their presence marks the setup as complete.
        let files: [(String, String, mode_t)] = [
            ("ca-root.pem", ca.root.pem, 0o644), ("ca-intermediate.pem", ca.intermediate.pem, 0o644),
            ("ca-intermediate.key", try ca.intermediateKey.pem(), 0o600),
            ("server.pem", serverCertificate.pem + ca.intermediate.pem, 0o644), ("server.key", try serverKey.pem(), 0o600),
            ("ca.pem", caPEM, 0o644),
        ]
        for (name, text, mode) in files { try LocalFiles.writeWhole(Array(text.utf8), to: pki.appendingPathComponent(name), mode: mode) }
    }
}
