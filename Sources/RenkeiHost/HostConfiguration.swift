import Foundation
public import RenkeiModel

/// How `renkei-server` runs: defaults, then a JSON configuration file, then `RENKEI_*` environment
/// variables, then flags (each later source wins). Every value is checked before anything starts; a bad
/// one is a numbered error naming the setting and where it came from.
///
/// ```json
/// {"mode": "production", "data": "/var/lib/renkei", "host": "0.0.0.0", "port": 7443,
///  "certificate": "/etc/renkei/server.pem", "key": "/etc/renkei/server.key", "ca": "/etc/renkei/platform-ca.pem",
///  "caKey": "/etc/renkei/intermediate.key", "metricsPort": 9464, "checkpointSeconds": 60}
/// ```
public struct HostConfiguration: Codable, Sendable, Hashable {
    public enum Mode: String, Codable, Sendable {
        /// Creates a local CA, the server certificate and demo identities on first start.
        case development
        /// Needs explicit certificates and keys.
        case production
    }

    public var mode: Mode = .development
    /// The data folder: the embedded store (`store/`) and, in development, `pki/` and `profiles/`.
    public var data: String = "renkei-data"
    /// The address to listen on.
    public var host: String = "127.0.0.1"
    /// The port (0: any free port; the server prints which).
    public var port: Int = 7443
    /// Host names and addresses the development server certificate names.
    public var hostNames: [String] = ["127.0.0.1", "localhost"]
    /// PEM: the server certificate followed by the intermediate.
    public var certificate: String?
    /// PEM: the server certificate's private key.
    public var key: String?
    /// PEM: the platform CA, root then intermediate.
    public var ca: String?
    /// PEM: the intermediate's private key; with it the server issues certificates from CSRs and publishes a CRL.
    public var caKey: String?
    /// PEM: the key that signs checkpoints and its certificate (default: the server's key and certificate).
    public var checkpointKey: String?
    public var checkpointCertificate: String?
    /// The Prometheus endpoint's port (nil: none).
    public var metricsPort: Int?
    /// Seconds between checkpoints while the log grows (0: only on request).
    public var checkpointSeconds: Int = 60
    /// Where the log lives: `lmdb` (the embedded store, in the data folder) or a PostgreSQL URL,
    /// `postgres://user[:password]@host[:port]/database[?schema=name]`, for several servers over one database.
    public var store: String = "lmdb"

    public init() {}

    /// The largest configuration file read.
    public static let maximumFileBytes = 64 << 10

    static let keys: Set<String> = ["mode", "data", "host", "port", "hostNames", "certificate", "key", "ca", "caKey",
                                    "checkpointKey", "checkpointCertificate", "metricsPort", "checkpointSeconds", "store"]

    /// Reads a configuration file over the defaults; unknown keys are refused (a misspelt key must not be ignored).
    public static func load(file: String?) throws(ProgramError) -> HostConfiguration {
        guard let file else { return HostConfiguration() }
        let url = URL(fileURLWithPath: file)
        guard FileManager.default.fileExists(atPath: url.path) else { throw ProgramError(.fileNotFound, file) }
        guard let data = try? Data(contentsOf: url) else { throw ProgramError(.unreadable, file) }
        guard data.count <= maximumFileBytes else { throw ProgramError(.badConfiguration, "\(file) is larger than \(maximumFileBytes) bytes") }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ProgramError(.badConfiguration, "\(file) is not a JSON object / JSON オブジェクトではありません")
        }
        let unknown = Set(object.keys).subtracting(keys)
        guard unknown.isEmpty else {
            throw ProgramError(.badConfiguration, "\(file): unknown settings \(unknown.sorted().joined(separator: ", ")); known: \(keys.sorted().joined(separator: ", "))")
        }
        do {
            // Missing keys keep their defaults: decode over a default value's JSON.
            var merged = try JSONSerialization.jsonObject(with: JSONEncoder().encode(HostConfiguration())) as! [String: Any]
            merged.merge(object) { _, new in new }
            return try JSONDecoder().decode(HostConfiguration.self, from: JSONSerialization.data(withJSONObject: merged))
        } catch {
            throw ProgramError(.badConfiguration, "\(file): \(Self.describe(error))")
        }
    }

    /// Applies `RENKEI_MODE`, `RENKEI_DATA`, `RENKEI_HOST`, `RENKEI_PORT`, `RENKEI_CERTIFICATE`, `RENKEI_KEY`,
    /// `RENKEI_CA`, `RENKEI_CA_KEY`, `RENKEI_METRICS_PORT`.
    public mutating func apply(environment: [String: String]) throws(ProgramError) {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        if let text = value("RENKEI_MODE") {
            guard let parsed = Mode(rawValue: text) else { throw ProgramError(.badConfiguration, "RENKEI_MODE=\(text): development or production") }
            mode = parsed
        }
        if let text = value("RENKEI_DATA") { data = text }
        if let text = value("RENKEI_STORE") { store = text }
        if let text = value("RENKEI_HOST") { host = text }
        if let text = value("RENKEI_PORT") {
            guard let number = Int(text) else { throw ProgramError(.badConfiguration, "RENKEI_PORT=\(text) is not a number") }
            port = number
        }
        if let text = value("RENKEI_CERTIFICATE") { certificate = text }
        if let text = value("RENKEI_KEY") { key = text }
        if let text = value("RENKEI_CA") { ca = text }
        if let text = value("RENKEI_CA_KEY") { caKey = text }
        if let text = value("RENKEI_METRICS_PORT") {
            guard let number = Int(text) else { throw ProgramError(.badConfiguration, "RENKEI_METRICS_PORT=\(text) is not a number") }
            metricsPort = number
        }
    }

    /// Checks every value's range and form.
    public func validate() throws(ProgramError) {
        guard (0...65_535).contains(port) else { throw ProgramError(.badConfiguration, "port \(port) is not 0–65535") }
        if let metricsPort, !(1...65_535).contains(metricsPort) || metricsPort == port {
            throw ProgramError(.badConfiguration, "metricsPort \(metricsPort) is not 1–65535 or is the server's port")
        }
        guard !data.isEmpty, data.utf8.count <= 4096 else { throw ProgramError(.badConfiguration, "data must name a folder") }
        guard !host.isEmpty, host.utf8.count <= 255 else { throw ProgramError(.badConfiguration, "host must be an address") }
        guard (0...86_400).contains(checkpointSeconds) else { throw ProgramError(.badConfiguration, "checkpointSeconds \(checkpointSeconds) is not 0–86400") }
        guard (1...16).contains(hostNames.count) else { throw ProgramError(.badConfiguration, "hostNames: 1 to 16 names") }
        guard store == "lmdb" || ((store.hasPrefix("postgres://") || store.hasPrefix("postgresql://")) && store.utf8.count <= 2048) else {
            throw ProgramError(.badConfiguration, "store \(store.prefix(80)): lmdb, or a postgres:// URL / 保存先は lmdb か postgres:// の URL です")
        }
        if mode == .production {
            let missing = [("certificate", certificate), ("key", key), ("ca", ca)].filter { $0.1 == nil }.map(\.0)
            guard missing.isEmpty else {
                throw ProgramError(.productionNeedsCertificates, "give \(missing.joined(separator: ", ")) (config file, RENKEI_* or flags) / 本番モードでは証明書・鍵・CA を指定してください")
            }
        }
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context), DecodingError.dataCorrupted(let context):
            "\(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)"
        default: "\(error)"
        }
    }
}
