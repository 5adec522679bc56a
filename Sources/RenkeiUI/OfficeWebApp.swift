import CarePlanStandard
import Foundation
public import Hummingbird
import Logging
import Mustache
import NIOCore
import RenkeiAPI
public import RenkeiClient
import RenkeiCrypto
import RenkeiModel
import RenkeiOffice
import ServiceLifecycle

/// `renkei ui`: the office's screens as a local web application on 127.0.0.1, speaking to the platform
/// through `RenkeiClient` with the office's own identity. Every page lives under a random session token
/// (`/TOKEN/inbox`), printed by the command; a request without it gets a page saying so, and nothing else.
/// Pages are rendered on the server from the mustache templates in `Templates/`; the only script
/// (`Static/app.js`) adds units to 受信一覧 as the mailbox subscription reports them (server-sent events).
public final class OfficeWebApp: Sendable {
    let client: RenkeiClient
    let office: String
    /// The session token; every path starts with it.
    public let token: String
    /// Where 「すべて保存」 writes a unit's files.
    let inboxFolder: URL
    let library: MustacheLibrary
    /// 新規作成's files, until sent or cleared.
    let drafts = Drafts()
    var base: String { "/" + token }

    /// Units listed per page.
    static let pageSize = 50
    /// The most units a listing reads from the platform (newest first needs them all; an office receives hundreds a month).
    static let maximumListed = 5_000

    public init(client: RenkeiClient, office: String, inboxFolder: URL, token: String = OfficeWebApp.makeToken()) async throws {
        self.client = client
        self.office = office
        self.inboxFolder = inboxFolder
        self.token = token
        guard let templates = Bundle.module.url(forResource: "Templates", withExtension: nil) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "Templates"])
        }
        library = try await MustacheLibrary(directory: templates.path)
    }

    /// 32 random bytes, hex.
    public static func makeToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    /// Serves on 127.0.0.1:`port` (0: any free port) until SIGINT or SIGTERM; `listening` gets the bound port.
    public func run(port: Int, logger: Logger, listening: @escaping @Sendable (Int) async -> Void) async throws {
        let app = Application(router: router(), configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "renkei-ui"),
                              onServerRunning: { channel in await listening(channel.localAddress?.port ?? port) }, logger: logger)
        // On SIGINT/SIGTERM the open event streams end first (they would otherwise hold the graceful shutdown
        // until their next heartbeat), then the server finishes the requests in flight.
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: app), .init(service: SubscriptionCloser(client: client))],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// The routes, behind the session token.
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: SessionTokenMiddleware(prefix: base) { [self] in
            html(render(MessagePage(base: "", office: office, title: "アクセスできません", message: "このアドレスは使えません。renkei ui を起動したときに表示されたアドレス(セッショントークン付き)を開いてください。", detail: nil), "message"), status: .forbidden)
        })
        let pages = router.group(RouterPath(token))
        pages.get { [self] _, _ in Response.redirect(to: base + "/inbox") }
        pages.get("inbox") { [self] request, _ in try await page { try await self.list(request, inbox: true) } }
        pages.get("sent") { [self] request, _ in try await page { try await self.list(request, inbox: false) } }
        pages.get("inbox/:id") { [self] _, context in try await page { try await self.unit(try context.parameters.require("id", as: UInt64.self), received: true) } }
        pages.get("sent/:id") { [self] _, context in try await page { try await self.unit(try context.parameters.require("id", as: UInt64.self), received: false) } }
        pages.get("inbox/:id/files/:name") { [self] _, context in
            try await page { try await self.file(try context.parameters.require("id", as: UInt64.self), name: Self.fileName(try context.parameters.require("name"))) }
        }
        pages.get("inbox/:id/print") { [self] _, context in try await page { try await self.printReceived(try context.parameters.require("id", as: UInt64.self)) } }
        pages.get("new/print") { [self] _, _ in try await page { try await self.printDraft() } }
        pages.post("inbox/:id/download") { [self] _, context in try await page { try await self.saveAll(try context.parameters.require("id", as: UInt64.self)) } }
        pages.get("new") { [self] request, _ in try await page { try await self.newPage(query: request.uri.queryParameters.get("q") ?? "") } }
        pages.put("new/files/:name") { [self] request, context in try await page { try await self.upload(request, name: Self.fileName(try context.parameters.require("name"))) } }
        pages.post("new/fix/:name") { [self] _, context in try await page { try await self.fix(Self.fileName(try context.parameters.require("name"))) } }
        pages.post("new/send") { [self] _, _ in try await page { try await self.sendDraft() } }
        pages.post("new/clear") { [self] _, _ in
            await drafts.clear()
            return Response.redirect(to: base + "/new")
        }
        pages.get("events") { [self] _, _ in events() }
        pages.get("static/:file") { _, context in try Self.asset(try context.parameters.require("file")) }
        return router
    }

    // MARK: - Pages

    /// 受信一覧 / 送信済一覧, newest first, filtered, 50 a page.
    func list(_ request: Request, inbox: Bool) async throws -> Response {
        let query = request.uri.queryParameters
        var filter = Renkei_V1_ListMailboxRequest()
        let status = query.get("status") ?? ""
        filter.status = Self.statuses.first { $0.value == status }?.status ?? .unspecified
        filter.serviceMonth = String((query.get("month") ?? "").filter(\.isNumber).prefix(6))
        filter.partner = String((query.get("partner") ?? "").filter(\.isNumber).prefix(10))
        var units = try await client.allUnits(inbox: inbox, filter, limit: Self.maximumListed)
        units.sort { ($0.uploadedMicros, $0.unitID) > ($1.uploadedMicros, $1.unitID) }
        let number = max(1, Int(query.get("page") ?? "1") ?? 1)
        let shown = units.dropFirst((number - 1) * Self.pageSize).prefix(Self.pageSize)
        func link(_ page: Int) -> String {
            var items = [URLQueryItem(name: "page", value: String(page))]
            if !status.isEmpty { items.append(URLQueryItem(name: "status", value: status)) }
            if !filter.serviceMonth.isEmpty { items.append(URLQueryItem(name: "month", value: filter.serviceMonth)) }
            if !filter.partner.isEmpty { items.append(URLQueryItem(name: "partner", value: filter.partner)) }
            var components = URLComponents()
            components.queryItems = items
            return components.percentEncodedQuery ?? ""
        }
        let model = ListPage(base: base, office: office, title: inbox ? "受信一覧" : "送信済一覧",
                             units: shown.map { UnitRow($0, inbox: inbox, base: base) }, total: units.count,
                             statuses: Self.statuses.map { StatusOption(value: $0.value, label: $0.label, selected: $0.value == status) },
                             month: filter.serviceMonth, partner: filter.partner,
                             previous: number > 1 ? link(number - 1) : nil,
                             next: number * Self.pageSize < units.count ? link(number + 1) : nil)
        return html(render(model, inbox ? "inbox" : "sent"))
    }

    static let statuses: [(value: String, label: String, status: Renkei_V1_UnitStatus)] = [
        ("unread", "未読", .unread), ("downloaded", "ダウンロード済", .downloaded), ("withdrawn", "取下げ", .withdrawn), ("purged", "削除済", .purged),
    ]

    /// 受信データ詳細確認 / 送信済データ詳細確認: the files with sizes and hashes, the sender's signature checked
    /// here, and each CSV as a table with the standard's column names. Viewing does not acknowledge.
    func unit(_ id: UInt64, received: Bool, message: String? = nil) async throws -> Response {
        let detail = try await client.unit(id)
        let summary = detail.summary
        let signature: (text: String, style: String)
        do {
            try await client.verifySignature(of: detail)
            signature = ("検証済(この端末で確認しました。証明書のシリアル番号 \(detail.signerSerial))", "verified")
        } catch {
            signature = ("検証できません: \(error.detail?.messageJa ?? error.message)", "failed")
        }
        var tables: [CSVSection] = []
        // Only the recipient downloads a unit's files (the sender keeps its own copies).
        if received, summary.status != .withdrawn, summary.status != .purged {
            for file in detail.files where file.name.uppercased().hasSuffix(".CSV") {
                var bytes: [UInt8] = []
                _ = try await client.download(unit: id, file: file.name, into: &bytes)
                tables.append(CSVTable.section(name: file.name, bytes: bytes))
            }
        }
        let model = UnitPage(
            base: base, office: office, title: received ? "受信データ詳細確認" : "送信済データ詳細確認", id: id, sender: summary.sender,
            recipient: summary.recipient, type: UnitText.type(summary.unitType), month: summary.serviceMonth.isEmpty ? "-" : summary.serviceMonth,
            serial: summary.unitNumber, status: UnitText.status(summary.status), statusKey: UnitRow(summary, inbox: received, base: base).statusKey,
            arrived: UnitText.time(micros: summary.uploadedMicros),
            downloaded: detail.firstDownloadMicros > 0 ? UnitText.time(micros: detail.firstDownloadMicros) : "まだダウンロードされていません",
            signature: signature.text, signatureClass: signature.style, received: received, inboxFolder: inboxFolder.path,
            files: detail.files.map { FileRow(base: base, id: id, name: $0.name, kind: $0.kind, size: $0.size, sha256: SHA256Digest(bytes: Array($0.sha256))?.hex ?? "",
                                              received: received) },
            tables: tables, printable: received && detail.files.contains { PrintForms.isPrinted($0.name) }, message: message)
        return html(render(model, "unit"))
    }

    /// 帳票 of a received unit (viewing does not acknowledge).
    func printReceived(_ id: UInt64) async throws -> Response {
        let detail = try await client.unit(id)
        var files: [(name: String, bytes: [UInt8])] = []
        for file in detail.files where PrintForms.isRead(file.name) {
            var bytes: [UInt8] = []
            _ = try await client.download(unit: id, file: file.name, into: &bytes)
            guard SHA256.hash(bytes).bytes.elementsEqual(file.sha256) else {
                return html(render(MessagePage(base: base, office: office, title: "検証できません", message: "\(file.name) のハッシュ値が送信単位の記録と一致しません。", detail: nil), "message"), status: .badGateway)
            }
            files.append((file.name, bytes))
        }
        return printPage(files, back: "\(base)/inbox/\(id)", source: "受信した送信単位 \(id)(送信元 \(detail.summary.sender)、連番 \(detail.summary.unitNumber))")
    }

    /// 帳票 of the files on 新規作成 (for a partner still on paper or fax).
    func printDraft() async throws -> Response {
        let files = await drafts.files.filter { PrintForms.isRead($0.name) }.map { (name: $0.name, bytes: $0.bytes) }
        return printPage(files, back: "\(base)/new", source: "新規作成のファイル(未送信)")
    }

    func printPage(_ files: [(name: String, bytes: [UInt8])], back: String, source: String) -> Response {
        let (sheets, users) = PrintForms.sheets(files)
        let notice = users > PrintForms.maximumUsers ? "利用者 \(users) 名のうち最初の \(PrintForms.maximumUsers) 名を表示しています。" : nil
        return html(render(PrintPage(base: base, office: office, title: "帳票 第6表・第7表", back: back, source: source, sheets: sheets, notice: notice), "print"))
    }

    /// One file, its hash checked, as a download; the acknowledgement of that file is recorded.
    func file(_ id: UInt64, name: String) async throws -> Response {
        let detail = try await client.unit(id)
        guard let info = detail.files.first(where: { $0.name == name }) else {
            return html(render(MessagePage(base: base, office: office, title: "ファイルがありません", message: "送信単位 \(id) に \(name) はありません。", detail: nil), "message"), status: .notFound)
        }
        var bytes: [UInt8] = []
        _ = try await client.download(unit: id, file: name, into: &bytes)
        guard SHA256.hash(bytes).bytes.elementsEqual(info.sha256) else {
            return html(render(MessagePage(base: base, office: office, title: "検証できません", message: "\(name) のハッシュ値が送信単位の記録と一致しません。ファイルは保存されていません。", detail: nil), "message"), status: .badGateway)
        }
        try await client.acknowledgeDownload(unit: id, files: [name])
        var headers = HTTPFields()
        headers[.contentType] = "application/octet-stream"
        headers[.contentDisposition] = "attachment; filename=\"\(name)\""
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// Every file into the office's inbox folder, verified and whole (`UnitDownload`), then acknowledged.
    func saveAll(_ id: UInt64) async throws -> Response {
        let result = try await UnitDownload.run(id, into: inboxFolder, client: client)
        return try await unit(id, received: true, message: "\(result.paths.count) 件のファイルを \(inboxFolder.path) に保存し、受信を記録しました。")
    }

    /// New arrivals as server-sent events (`event: received`), from the mailbox subscription starting now;
    /// a comment line with every heartbeat keeps the connection open.
    func events() -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream; charset=utf-8"
        headers[.cacheControl] = "no-cache"
        let client = self.client, base = self.base
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            let start = (try? await client.serverInfo().latestSequence) ?? 0
            try await writer.write(ByteBuffer(string: ": renkei\n\n"))
            for try await event in client.subscribe(after: start, heartbeatSeconds: 10) {
                switch event.event {
                case .received(let unit)?:
                    try await writer.write(ByteBuffer(string: "event: received\ndata: \(UnitRow(unit, inbox: true, base: base).json)\n\n"))
                default:
                    try await writer.write(ByteBuffer(string: ": \(event.cursor)\n\n"))
                }
            }
            try await writer.finish(nil)
        })
    }

    /// A file name from a path component (the router leaves percent-encoding in place).
    static func fileName(_ component: String) -> String { component.removingPercentEncoding ?? component }

    static func asset(_ name: String) throws -> Response {
        let types = ["app.js": "text/javascript; charset=utf-8", "style.css": "text/css; charset=utf-8", "print.css": "text/css; charset=utf-8"]
        guard let type = types[name], let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Static"),
              let data = try? Data(contentsOf: url) else { return Response(status: .notFound) }
        var headers = HTTPFields()
        headers[.contentType] = type
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    // MARK: - Rendering

    /// Runs a page; a refusal by the platform or a local problem becomes a page that says what happened.
    func page(_ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let error as RenkeiClientError {
            let title = error.detail == nil ? "連携基盤に接続できません" : "処理できませんでした"
            let program = error.detail == nil ? ProgramOutput.classify(error).description : error.description
            return html(render(MessagePage(base: base, office: office, title: title, message: error.detail?.messageJa ?? program, detail: program), "message"),
                        status: error.detail == nil ? .badGateway : .unprocessableContent)
        } catch let error as ProgramError {
            return html(render(MessagePage(base: base, office: office, title: "処理できませんでした", message: error.code.japanese, detail: error.description), "message"),
                        status: .unprocessableContent)
        }
    }

    func render(_ model: Any, _ template: String) -> String {
        library.render(model, withTemplate: template) ?? "<!DOCTYPE html><p>テンプレート \(template) がありません。</p>"
    }

    func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

/// Waits for the graceful shutdown, then ends the client's subscriptions (and with them the event streams).
struct SubscriptionCloser: Service {
    let client: RenkeiClient

    func run() async throws {
        try? await gracefulShutdown()
        client.cancelSubscriptions()
    }
}

/// Every request must name the session token first in its path; any other gets `refusal`.
struct SessionTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let prefix: String
    let refusal: @Sendable () -> Response

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard path == prefix || path.hasPrefix(prefix + "/") else { return refusal() }
        return try await next(request, context)
    }
}
