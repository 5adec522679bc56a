public import CarePlanStandard
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
public import RenkeiAPI
public import RenkeiCrypto
import RenkeiModel
import Synchronization

/// A connection to a Renkei platform server over HTTP/2 and TLS, identified by a client certificate
/// (an office's, an operator's or an auditor's). Every operation of renkei.v1 is a method here; failures
/// are `RenkeiClientError`s carrying the server's code. Call `close()` when done.
public final class RenkeiClient: Sendable {
    /// The server's address.
    public let host: String
    public let port: Int
    /// Whose certificate this connection presents.
    public let credential: Credential
    /// The platform CA certificates the server's certificate, and signers' certificates, chain to.
    public let platformCA: [Certificate]
    let grpc: GRPCClient<HTTP2ClientTransport.Posix>
    private let connections: Task<Void, any Error>
    /// Every call's options: by default a call fails at once (UNAVAILABLE) when no connection can be made,
    /// rather than waiting for one.
    let options: CallOptions
    /// Subscriptions running on this connection (ended by `close()`).
    let subscriptions = TaskRegistry()

    /// The most bytes one Send chunk carries (the server's limit is at least this).
    public static let chunkBytes = 1 << 20
    /// How often the client pings while a call is open (the server allows every 10 s or more: API.md).
    public static let keepaliveInterval: Duration = .seconds(30)

    /// Connects to `host:port`, presenting `credential`, trusting a server certificate that chains to
    /// `platformCAPEM` and names `host`. `receiveWindowBytes` sets how much the server may send before this
    /// client reads (HTTP/2 flow control); nil keeps the transport's default.
    public init(host: String, port: Int, credential: Credential, platformCAPEM: String, receiveWindowBytes: Int? = nil,
                timeout: Duration? = nil, waitForReady: Bool = false, keepalive: Duration = RenkeiClient.keepaliveInterval) throws {
        var options = CallOptions.defaults
        options.timeout = timeout
        options.waitForReady = waitForReady
        self.options = options
        self.host = host
        self.port = port
        self.credential = credential
        platformCA = try Certificate.chain(pem: platformCAPEM)
        let chainPEM = ([credential.certificate] + credential.chain).map(\.pem).joined()
        let keyPEM = try credential.key.pem()
        var config = HTTP2ClientTransport.Posix.Config.defaults
        if let receiveWindowBytes { config.http2.targetWindowSize = receiveWindowBytes }
        // While a call is open, a ping every `keepalive` finds a connection that died without closing (a host
        // that vanished, a dropped route): the call then fails (UNAVAILABLE) instead of waiting for ever.
        config.connection.keepalive = .init(time: keepalive, timeout: .seconds(20), allowWithoutCalls: false)
        let security = HTTP2ClientTransport.Posix.TransportSecurity.mTLS(
            certificateChain: [.bytes(Array(chainPEM.utf8), format: .pem)],
            privateKey: .bytes(Array(keyPEM.utf8), format: .pem)
        ) { tls in
            tls.trustRoots = .certificates([.bytes(Array(platformCAPEM.utf8), format: .pem)])
            tls.serverCertificateVerification = .fullVerification
        }
        let transport = try HTTP2ClientTransport.Posix(target: .ipv4(address: host, port: port), transportSecurity: security, config: config)
        let grpc = GRPCClient(transport: transport)
        self.grpc = grpc
        connections = Task { try await grpc.runConnections() }
    }

    /// Ends this client's subscriptions (their streams finish); other calls go on.
    public func cancelSubscriptions() {
        subscriptions.cancelAll()
    }

    /// Ends this client's subscriptions and closes the connection once other calls in flight have finished.
    public func close() async {
        subscriptions.cancelAll()
        grpc.beginGracefulShutdown()
        _ = try? await connections.value
    }

    var office: Renkei_V1_OfficeService.Client<HTTP2ClientTransport.Posix> { .init(wrapping: grpc) }
    var operatorService: Renkei_V1_OperatorService.Client<HTTP2ClientTransport.Posix> { .init(wrapping: grpc) }
    var audit: Renkei_V1_AuditService.Client<HTTP2ClientTransport.Posix> { .init(wrapping: grpc) }

    func call<R>(_ body: () async throws -> R) async throws(RenkeiClientError) -> R {
        do {
            return try await RenkeiClientError.mapping(body)
        } catch let error as RenkeiClientError {
            throw error
        } catch {
            throw RenkeiClientError(RPCError(code: .unknown, message: "\(error)"))
        }
    }
}

// MARK: - Offices

/// A file to send: its standard name and bytes.
public struct OutgoingFile: Sendable, Hashable {
    public let name: String
    public let bytes: [UInt8]
    public init(name: String, bytes: [UInt8]) {
        self.name = name
        self.bytes = bytes
    }

    /// Whether `name` is an attachment a send unit may carry beside its standard files (PDF, JPEG, PNG).
    public static func isAttachment(_ name: String) -> Bool { SendPreparation.attachmentKind(name) != nil }
}

extension RenkeiClient {
    public func serverInfo() async throws(RenkeiClientError) -> Renkei_V1_ServerInfo {
        try await call { try await office.getServerInfo(Renkei_V1_GetServerInfoRequest(), options: options) }
    }

    public func searchDirectory(_ request: Renkei_V1_SearchDirectoryRequest) async throws(RenkeiClientError) -> [Renkei_V1_Office] {
        try await call { try await office.searchDirectory(request, options: options).offices }
    }

    @discardableResult
    public func requestRegistration(_ request: Renkei_V1_RequestRegistrationRequest) async throws(RenkeiClientError) -> UInt64 {
        try await call { try await office.requestRegistration(request, options: options).sequence }
    }

    public func myOffice() async throws(RenkeiClientError) -> Renkei_V1_GetMyOfficeResponse {
        try await call { try await office.getMyOffice(Renkei_V1_GetMyOfficeRequest(), options: options) }
    }

    /// Validates `files` against the standard, signs their manifest with this client's certificate and
    /// sends them to `recipient` as one send unit; returns the platform's receipt once the unit is durably
    /// stored. Sending again with the same `idempotencyKey` returns the first receipt. `checker` nil sends
    /// without checking here (the server checks anyway: it is the authority).
    public func send(_ files: [OutgoingFile], to recipient: String, idempotencyKey: String = UUID().uuidString,
                     checker: StandardChecker? = StandardChecker()) async throws(RenkeiClientError) -> Renkei_V1_SendResponse {
        let prepared = try SendPreparation.prepare(files, from: credential, to: recipient, checker: checker)
        var header = Renkei_V1_SendHeader()
        header.recipient = recipient
        header.manifest = Data(prepared.manifest)
        header.signature = Data(prepared.signature)
        header.idempotencyKey = idempotencyKey
        return try await send(header: header, files: prepared.files)
    }

    /// Sends `header` and then `files` (in the manifest's order) exactly as given, in chunks of at most
    /// ``chunkBytes``: nothing is checked or signed here. `send(_:to:)` uses it; so can a tool that must
    /// put particular bytes on the wire (a test replaying a captured upload, say).
    public func send(header: Renkei_V1_SendHeader, files: [OutgoingFile]) async throws(RenkeiClientError) -> Renkei_V1_SendResponse {
        try await call {
            try await office.send(options: options, requestProducer: { writer in
                var first = Renkei_V1_SendRequest()
                first.header = header
                try await writer.write(first)
                for (index, file) in files.enumerated() {
                    var offset = 0
                    while offset < file.bytes.count {
                        let end = min(file.bytes.count, offset + Self.chunkBytes)
                        var chunk = Renkei_V1_FileChunk()
                        chunk.fileIndex = UInt32(index)
                        chunk.data = Data(file.bytes[offset..<end])
                        var message = Renkei_V1_SendRequest()
                        message.chunk = chunk
                        try await writer.write(message)
                        offset = end
                    }
                }
            })
        }
    }

    /// One page of the inbox (受信一覧).
    public func inbox(_ request: Renkei_V1_ListMailboxRequest = .init()) async throws(RenkeiClientError) -> Renkei_V1_ListMailboxResponse {
        try await call { try await office.listInbox(request, options: options) }
    }

    /// One page of the sent list (送信済一覧).
    public func sent(_ request: Renkei_V1_ListMailboxRequest = .init()) async throws(RenkeiClientError) -> Renkei_V1_ListMailboxResponse {
        try await call { try await office.listSent(request, options: options) }
    }

    /// Every unit of the inbox (or the sent list) that `filter` selects, page after page, up to `limit`
    /// (oldest first, as the platform lists them).
    public func allUnits(inbox: Bool, _ filter: Renkei_V1_ListMailboxRequest = .init(), limit: Int = 100_000) async throws(RenkeiClientError) -> [Renkei_V1_UnitSummary] {
        var request = filter
        if request.pageSize == 0 { request.pageSize = 500 }
        var units: [Renkei_V1_UnitSummary] = []
        repeat {
            let page = inbox ? try await self.inbox(request) : try await sent(request)
            units += page.units
            request.pageToken = page.nextPageToken
        } while !request.pageToken.isEmpty && units.count < limit
        return units
    }

    /// A unit this office sent or received.
    public func unit(_ id: UInt64) async throws(RenkeiClientError) -> Renkei_V1_UnitDetail {
        var request = Renkei_V1_GetUnitRequest()
        request.unitID = id
        return try await call { try await office.getUnit(request, options: options) }
    }

    /// A file's bytes from `offset`, appended to `into` chunk by chunk, so that what arrived before a
    /// failure is kept and a retry resumes from there. Returns the file's description.
    public func download(unit: UInt64, file name: String, into bytes: inout [UInt8]) async throws(RenkeiClientError) -> Renkei_V1_FileInfo {
        var request = Renkei_V1_DownloadRequest()
        request.unitID = unit
        request.fileName = name
        request.offset = UInt64(bytes.count)
        let received = Received()
        let start = bytes.count
        do {
            try await call {
                try await office.download(request, options: options) { response in
                    for try await message in response.messages {
                        guard message.offset == UInt64(start + received.count) else {
                            throw RPCError(code: .dataLoss, message: "a chunk at \(message.offset), expected \(start + received.count)")
                        }
                        received.append(message)
                    }
                }
            }
        } catch {
            bytes += received.bytes
            throw error
        }
        bytes += received.bytes
        guard let file = received.file else {
            throw RenkeiClientError(RPCError(code: .dataLoss, message: "the server sent no file description"))
        }
        return file
    }

    @discardableResult
    public func acknowledgeDownload(unit: UInt64, files: [String] = []) async throws(RenkeiClientError) -> UInt64 {
        var request = Renkei_V1_AcknowledgeDownloadRequest()
        request.unitID = unit
        request.fileNames = files
        return try await call { try await office.acknowledgeDownload(request, options: options).sequence }
    }

    @discardableResult
    public func withdraw(unit: UInt64, reason: String) async throws(RenkeiClientError) -> UInt64 {
        var request = Renkei_V1_WithdrawRequest()
        request.unitID = unit
        request.reason = reason
        return try await call { try await office.withdraw(request, options: options).sequence }
    }

    /// Every file of a unit, each with its SHA-256 checked against the unit, and the sender's signature
    /// over the manifest verified against the platform CA (the platform did too; the recipient need not
    /// trust it for that); resumes a broken file once from where it stopped. Does not acknowledge.
    public func downloadUnit(_ id: UInt64, at time: Date = Date()) async throws(RenkeiClientError) -> (detail: Renkei_V1_UnitDetail, files: [OutgoingFile]) {
        let detail = try await unit(id)
        var files: [OutgoingFile] = []
        for info in detail.files {
            var bytes: [UInt8] = []
            do {
                _ = try await download(unit: id, file: info.name, into: &bytes)
            } catch where error.status == .unavailable || error.status == .dataLoss {
                _ = try await download(unit: id, file: info.name, into: &bytes)
            }
            guard SHA256.hash(bytes).bytes.elementsEqual(info.sha256) else {
                throw RenkeiClientError(.manifestMismatch, "\(info.name): its SHA-256 is not the unit's")
            }
            files.append(OutgoingFile(name: info.name, bytes: bytes))
        }
        try await verifySignature(of: detail, at: time)
        return (detail, files)
    }

    /// Verifies the sender's CMS signature over the unit's manifest against the platform CA.
    public func verifySignature(of detail: Renkei_V1_UnitDetail, at time: Date = Date()) async throws(RenkeiClientError) {
        let info = try await serverInfo()
        do {
            let store = try TrustStore(roots: platformCA.filter { $0.subject == $0.issuer },
                                       intermediates: platformCA.filter { $0.subject != $0.issuer },
                                       revocationLists: try CertificateRevocationList.all(pem: info.platformCrlPem))
            _ = try SendUnitSignature(der: Array(detail.signature))
                .verify(manifest: Array(detail.manifest), sender: detail.summary.sender, trustStore: store, at: time)
        } catch {
            throw RenkeiClientError(.signatureInvalid, "\(error)")
        }
    }

}

/// What a Download call has delivered so far (written by the response handler, read after it).
private final class Received: @unchecked Sendable {
    private(set) var file: Renkei_V1_FileInfo?
    private(set) var bytes: [UInt8] = []
    var count: Int { bytes.count }

    func append(_ message: Renkei_V1_DownloadResponse) {
        if message.hasFile { file = message.file }
        bytes += message.data
    }
}

/// Tasks to cancel when the client closes.
final class TaskRegistry: Sendable {
    private let tasks = Mutex<[UInt64: Task<Void, Never>]>([:])
    private let counter = Atomic<UInt64>(0)

    func add(_ task: Task<Void, Never>) -> UInt64 {
        let id = counter.add(1, ordering: .relaxed).newValue
        tasks.withLock { $0[id] = task }
        return id
    }

    func remove(_ id: UInt64) { _ = tasks.withLock { $0.removeValue(forKey: id) } }

    func cancelAll() {
        for task in tasks.withLock({ Array($0.values) }) { task.cancel() }
    }
}
