import Foundation
public import RenkeiClient
public import RenkeiCrypto
public import RenkeiModel

/// A folder holding one identity's way into the platform: where the server is, the private key, the
/// certificate (with its chain) and the platform CA. `renkei init` makes it; every other command reads it.
///
/// ```
/// profile.json       {"server": "127.0.0.1:7443", "office": "1310000001", "role": "office"}
/// key.pem            the private key (mode 0600)
/// request.csr.pem    the certificate request, until the certificate is installed
/// certificate.pem    the certificate, then its chain
/// platform-ca.pem    the platform CA (root and intermediate)
/// ```
public struct ClientProfile: Sendable {
    /// What `profile.json` holds.
    public struct Settings: Codable, Sendable, Hashable {
        /// `host:port` of the platform server.
        public var server: String
        /// The 事業所番号 (or the operator's or auditor's number) the certificate names.
        public var office: String
        /// office, operator or auditor.
        public var role: String

        public init(server: String, office: String, role: String) {
            self.server = server
            self.office = office
            self.role = role
        }
    }

    /// The profile folder.
    public let folder: URL
    public let settings: Settings
    public let credential: Credential
    public let platformCAPEM: String

    static let settingsFile = "profile.json"
    static let keyFile = "key.pem"
    static let requestFile = "request.csr.pem"
    static let certificateFile = "certificate.pem"
    static let caFile = "platform-ca.pem"
    /// The largest profile file read (a key, a certificate chain, a CA bundle).
    static let maximumFileBytes = 256 << 10

    /// The profile folder of a command: `--profile`, else `$RENKEI_PROFILE`, else `~/.renkei`.
    public static func folder(_ option: String?) -> URL {
        if let option, !option.isEmpty { return URL(fileURLWithPath: option) }
        if let environment = ProcessInfo.processInfo.environment["RENKEI_PROFILE"], !environment.isEmpty {
            return URL(fileURLWithPath: environment)
        }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".renkei")
    }

    /// Reads the profile in `folder`: a missing one is `noProfile`, a damaged or mismatched one `badProfile`.
    public init(folder: URL) throws(ProgramError) {
        self.folder = folder
        let settingsURL = folder.appendingPathComponent(Self.settingsFile)
        guard FileManager.default.fileExists(atPath: settingsURL.path) else {
            throw ProgramError(.noProfile, "\(folder.path) (run `renkei init` first / 先に renkei init を実行してください)")
        }
        do {
            settings = try JSONDecoder().decode(Settings.self, from: Data(try Self.read(settingsURL)))
        } catch let error as ProgramError { throw error } catch {
            throw ProgramError(.badProfile, "\(settingsURL.path): \(error)")
        }
        let certificateURL = folder.appendingPathComponent(Self.certificateFile)
        guard FileManager.default.fileExists(atPath: certificateURL.path) else {
            throw ProgramError(.noProfile, "\(folder.path) has a key but no certificate yet: install it with `renkei init --certificate FILE` / 証明書が未登録です")
        }
        do {
            let key = try PrivateKey(pem: String(decoding: try Self.read(folder.appendingPathComponent(Self.keyFile)), as: UTF8.self))
            let chain = try Certificate.chain(pem: String(decoding: try Self.read(certificateURL), as: UTF8.self))
            guard let leaf = chain.first else { throw ProgramError(.badProfile, "\(certificateURL.path) holds no certificate") }
            credential = try Credential(key: key, certificate: leaf, chain: Array(chain.dropFirst()))
            platformCAPEM = String(decoding: try Self.read(folder.appendingPathComponent(Self.caFile)), as: UTF8.self)
            _ = try Certificate.chain(pem: platformCAPEM)
        } catch let error as ProgramError {
            throw error
        } catch {
            throw ProgramError(.badProfile, "\(folder.path): \(error)")
        }
    }

    /// The server's host and port.
    public var endpoint: (host: String, port: Int) {
        get throws(ProgramError) { try Self.endpoint(settings.server) }
    }

    /// Parses `host:port`.
    public static func endpoint(_ text: String) throws(ProgramError) -> (host: String, port: Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65_535).contains(port),
              !text[..<colon].isEmpty, text.utf8.count <= 255 else {
            throw ProgramError(.badConfiguration, "the server '\(text)' is not HOST:PORT / サーバーは ホスト:ポート で指定してください")
        }
        return (String(text[..<colon]), port)
    }

    /// A connection to the profile's server as the profile's identity; each call fails after `timeout`
    /// (subscriptions have none).
    public func connect(timeout: Duration? = .seconds(300)) throws(ProgramError) -> RenkeiClient {
        let (host, port) = try endpoint
        do {
            return try RenkeiClient(host: host, port: port, credential: credential, platformCAPEM: platformCAPEM, timeout: timeout)
        } catch {
            throw ProgramError(.badProfile, "\(error)")
        }
    }

    /// Runs `body` with a connection as the profile in `folder`, closed afterwards; a failure of the
    /// transport (no server, an untrusted certificate) becomes the programs' error for it.
    public static func withClient<R>(folder: URL, _ body: (ClientProfile, RenkeiClient) async throws -> R) async throws -> R {
        let profile = try ClientProfile(folder: folder)
        let client = try profile.connect()
        do {
            let result = try await body(profile, client)
            await client.close()
            return result
        } catch let error as RenkeiClientError where error.detail == nil {
            await client.close()
            throw ProgramOutput.classify(error)
        } catch {
            await client.close()
            throw error
        }
    }

    // MARK: - Making a profile

    /// Starts a profile in `folder`: a new private key and a certificate request for `office` in `role`.
    /// Returns the request's PEM, for the operator (`renkei-admin certificate issue`). Refuses to replace a key.
    public static func create(in folder: URL, settings: Settings, platformCAPEM: String) throws(ProgramError) -> String {
        let keyURL = folder.appendingPathComponent(keyFile)
        guard !FileManager.default.fileExists(atPath: keyURL.path) else {
            throw ProgramError(.badArgument, "\(keyURL.path) already exists; a profile's key is never replaced (use another --profile) / 鍵は上書きしません")
        }
        _ = try endpoint(settings.server)
        do {
            _ = try Certificate.chain(pem: platformCAPEM)
            let identity = try OfficeIdentity(officeNumber: settings.office, role: OfficeIdentity.Role(rawValue: settings.role))
            let key = try PrivateKey.generate()
            let request = try CertificateSigningRequest(key: key, identity: identity)
            try makeFolder(folder)
            try write(try key.pem(), to: keyURL, private: true)
            try write(request.pem, to: folder.appendingPathComponent(requestFile))
            try write(platformCAPEM, to: folder.appendingPathComponent(caFile))
            try write(String(decoding: try JSONEncoder.sorted.encode(settings), as: UTF8.self), to: folder.appendingPathComponent(settingsFile))
            return request.pem
        } catch let error as ProgramError {
            throw error
        } catch {
            throw ProgramError(.badArgument, "\(error)")
        }
    }

    /// Installs the certificate the operator issued for the profile's request (it must carry the profile's key).
    public static func installCertificate(_ pem: String, in folder: URL) throws(ProgramError) {
        do {
            let key = try PrivateKey(pem: String(decoding: try read(folder.appendingPathComponent(keyFile)), as: UTF8.self))
            let chain = try Certificate.chain(pem: pem)
            guard let leaf = chain.first, key.matches(leaf) else {
                throw ProgramError(.badProfile, "the certificate is not for this profile's key / この鍵の証明書ではありません")
            }
            try write(pem, to: folder.appendingPathComponent(certificateFile))
            try? FileManager.default.removeItem(at: folder.appendingPathComponent(requestFile))
        } catch let error as ProgramError {
            throw error
        } catch {
            throw ProgramError(.badProfile, "\(error)")
        }
    }

    /// A profile from a PKCS#12 file (an office's 電子請求 certificate, or one exported elsewhere).
    public static func importPKCS12(_ bytes: [UInt8], password: String, in folder: URL, server: String, platformCAPEM: String) throws(ProgramError) {
        let credential: Credential
        do { credential = try Credential(pkcs12: bytes, password: password) } catch {
            throw error.code == .wrongPassword ? ProgramError(.wrongPassword, "\(error)") : ProgramError(.badProfile, "\(error)")
        }
        _ = try endpoint(server)
        do {
            let identity = try credential.certificate.claimedIdentity()
            guard !FileManager.default.fileExists(atPath: folder.appendingPathComponent(keyFile).path) else {
                throw ProgramError(.badArgument, "\(folder.path) already holds a key; import into a new --profile / 鍵は上書きしません")
            }
            try makeFolder(folder)
            try write(try credential.key.pem(), to: folder.appendingPathComponent(keyFile), private: true)
            try write(credential.certificateChainPEM, to: folder.appendingPathComponent(certificateFile))
            try write(platformCAPEM, to: folder.appendingPathComponent(caFile))
            let settings = Settings(server: server, office: identity.officeNumber, role: identity.role.rawValue)
            try write(String(decoding: try JSONEncoder.sorted.encode(settings), as: UTF8.self), to: folder.appendingPathComponent(settingsFile))
        } catch let error as ProgramError {
            throw error
        } catch {
            throw ProgramError(.badProfile, "\(error)")
        }
    }

    /// Writes a whole profile at once (the development setup's identities).
    public static func write(_ credential: Credential, settings: Settings, platformCAPEM: String, to folder: URL) throws(ProgramError) {
        do {
            try makeFolder(folder)
            try write(try credential.key.pem(), to: folder.appendingPathComponent(keyFile), private: true)
            try write(credential.certificateChainPEM, to: folder.appendingPathComponent(certificateFile))
            try write(platformCAPEM, to: folder.appendingPathComponent(caFile))
            try write(String(decoding: try JSONEncoder.sorted.encode(settings), as: UTF8.self), to: folder.appendingPathComponent(settingsFile))
        } catch let error as ProgramError {
            throw error
        } catch {
            throw ProgramError(.unwritable, "\(folder.path): \(error)")
        }
    }

    // MARK: - Files

    static func read(_ url: URL) throws(ProgramError) -> [UInt8] {
        try LocalFiles.read(url, limit: maximumFileBytes)
    }

    static func makeFolder(_ folder: URL) throws(ProgramError) {
        do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
            throw ProgramError(.unwritable, "\(folder.path): \(error.localizedDescription)")
        }
    }

    static func write(_ text: String, to url: URL, private: Bool = false) throws(ProgramError) {
        try LocalFiles.writeWhole(Array(text.utf8), to: url, mode: `private` ? 0o600 : 0o644)
    }
}

extension JSONEncoder {
    /// Keys sorted and slashes unescaped: the same value always gives the same bytes.
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
        return encoder
    }
}
