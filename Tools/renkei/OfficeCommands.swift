import ArgumentParser
import Foundation
import RenkeiAPI
import RenkeiClient
import RenkeiModel
import RenkeiOffice
import SwiftProtobuf

/// Where the identity lives, shared by every network command.
struct ProfileOptions: ParsableArguments {
    @Option(help: "利用者設定のフォルダ(鍵・証明書・連携基盤の CA・接続先)。既定: $RENKEI_PROFILE、なければ ~/.renkei / Profile folder (key, certificate, platform CA, server). Default: $RENKEI_PROFILE, else ~/.renkei")
    var profile: String?

    func load() throws(ProgramError) -> ClientProfile { try ClientProfile(folder: ClientProfile.folder(profile)) }

    /// Runs `body` with a connection, closed afterwards.
    func withClient<R>(_ body: (ClientProfile, RenkeiClient) async throws -> R) async throws -> R {
        try await ClientProfile.withClient(folder: ClientProfile.folder(profile), body)
    }
}

// MARK: - init, register

struct Init: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Set up this office's identity / 利用者設定(鍵・証明書要求・証明書の登録)",
        discussion: """
        1. renkei init --office 1310000001 --server HOST:PORT --ca platform-ca.pem   (a key and a CSR: give the CSR to the operator)
        2. renkei init --certificate certificate.pem                                  (install what the operator issued)
        or renkei init --p12 FILE --server HOST:PORT --ca platform-ca.pem             (import a PKCS#12; password from $RENKEI_P12_PASSWORD or --password)
        """)
    @OptionGroup var options: ProfileOptions
    @Option(help: "事業所番号(10桁)、または運用者・監査人の番号 / Office number (10 digits), or the operator's or auditor's number.") var office: String?
    @Option(help: "office(事業所)、operator(運用者)または auditor(監査人) / office, operator or auditor.") var role = "office"
    @Option(help: "連携基盤のサーバー(HOST:PORT) / The platform server, HOST:PORT.") var server: String?
    @Option(help: "連携基盤の CA 証明書(PEM ファイル) / The platform CA certificates (PEM file).") var ca: String?
    @Option(help: "運用者が発行した証明書を登録(PEM ファイル) / Install the certificate the operator issued (PEM file).") var certificate: String?
    @Option(help: "代わりに PKCS#12(.p12)ファイルを取り込む / Import a PKCS#12 (.p12) file instead.") var p12: String?
    @Option(help: "PKCS#12 のパスワード($RENKEI_P12_PASSWORD を推奨) / The PKCS#12 password (prefer $RENKEI_P12_PASSWORD).") var password: String?

    func run() async throws {
        let folder = ClientProfile.folder(options.profile)
        if let certificate {
            let pem = String(decoding: try LocalFiles.read(URL(fileURLWithPath: certificate), limit: 256 << 10), as: UTF8.self)
            try ClientProfile.installCertificate(pem, in: folder)
            print("証明書を登録しました / Certificate installed in \(folder.path)")
            return
        }
        guard let server, let ca else { throw ProgramError(.badArgument, "give --server HOST:PORT and --ca FILE (or --certificate FILE)") }
        let caPEM = String(decoding: try LocalFiles.read(URL(fileURLWithPath: ca), limit: 256 << 10), as: UTF8.self)
        if let p12 {
            let bytes = try LocalFiles.read(URL(fileURLWithPath: p12), limit: 1 << 20)
            let secret = password ?? ProcessInfo.processInfo.environment["RENKEI_P12_PASSWORD"] ?? ""
            try ClientProfile.importPKCS12(bytes, password: secret, in: folder, server: server, platformCAPEM: caPEM)
            print("PKCS#12 を取り込みました / Imported into \(folder.path)")
            return
        }
        guard let office else { throw ProgramError(.badArgument, "give --office NUMBER") }
        _ = try ClientProfile.create(in: folder, settings: .init(server: server, office: office, role: role), platformCAPEM: caPEM)
        print("""
        鍵と証明書要求を作りました / Key and certificate request written:
          \(folder.appendingPathComponent("request.csr.pem").path)
        運用者に渡し、発行された証明書を登録してください / Give it to the operator, then install the certificate:
          renkei-admin certificate issue \(folder.appendingPathComponent("request.csr.pem").path) --out certificate.pem
          renkei init --profile \(folder.path) --certificate certificate.pem
        """)
    }
}

struct Register: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply for use of the platform / 利用申請")
    @OptionGroup var options: ProfileOptions
    @Option(help: "事業所名 / Office name") var name: String
    @Option(help: "サービス種類コード(複数なら繰り返し指定)。例: 43、11 / Service kind code (repeat for several), e.g. 43 or 11") var serviceKind: [String]
    @Option(help: "都道府県コード 1–47 / Prefecture code 1–47") var prefecture: UInt32
    @Option(help: "担当者名 / Contact person") var contact = ""
    @Option(help: "電話番号 / Phone number") var phone = ""
    @Option(help: "メールアドレス / Email address") var email = ""
    @Option(help: "電子請求受付システムのログインID(1–32文字) / Login ID of the electronic claims system (1–32 characters)") var billingLogin: String

    func run() async throws {
        var request = Renkei_V1_RequestRegistrationRequest()
        request.name = name
        request.serviceKinds = serviceKind
        request.prefecture = prefecture
        request.contactPerson = contact
        request.contactPhone = phone
        request.contactEmail = email
        request.billingLoginID = billingLogin
        let sequence = try await options.withClient { _, client in try await client.requestRegistration(request) }
        print("利用申請を受け付けました / Application recorded (event \(sequence)); the operator approves it next.")
    }
}

// MARK: - send

struct Send: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check, sign and send files / 送信(連番ごとに送信単位にまとめ、検証・署名して送信)",
        discussion: "Files sharing a 連番 form one send unit; its recipient is the one the names give. Sending the same files again returns the first receipt (no double send).")
    @OptionGroup var options: ProfileOptions
    @Flag(help: "受付結果を JSON で表示 / Print the receipts as JSON.") var json = false
    @Argument(help: "標準仕様の CSV ファイル(同じ送信単位の PDF・JPEG・PNG 添付も可) / Standard CSV files (and PDF, JPEG or PNG attachments of one unit).") var files: [String]

    func run() async throws {
        try await options.withClient { profile, client in
            let plan = try SendPlan(paths: files.map { URL(fileURLWithPath: $0) }, sender: profile.settings.office)
            var receipts: [Renkei_V1_SendResponse] = []
            for (index, unit) in plan.units.enumerated() {
                ProgramOutput.progress("連番 \(unit.serial)", index, plan.units.count)
                let receipt = try await client.send(unit.files, to: unit.recipient, idempotencyKey: unit.idempotencyKey)
                receipts.append(receipt)
                if !json {
                    print("送信しました / Sent: unit \(receipt.unitID)  連番 \(unit.serial) → \(unit.recipient)  \(unit.files.count) files  \(UnitText.time(micros: receipt.committedMicros))\(receipt.repeat ? "  (送信済の再送: first receipt)" : "")")
                    for warning in receipt.warnings { print("  警告 warning \(warning.file):\(warning.line):\(warning.column) \(warning.rule) \(warning.messageJa)") }
                }
            }
            ProgramOutput.progress("", plan.units.count, plan.units.count)
            if json { print(try ProgramOutput.json(receipts)) }
        }
    }
}

// MARK: - inbox, sent, show

struct MailboxOptions: ParsableArguments {
    @Option(help: "unread(未読)、downloaded(ダウンロード済)、withdrawn(取下げ)または purged(削除済) / unread, downloaded, withdrawn or purged.") var status: String?
    @Option(help: "サービス提供年月 YYYYMM / Service month YYYYMM.") var month: String?
    @Option(help: "相手の事業所番号 / The other office's number.") var partner: String?
    @Option(help: "1ページの件数(1–1000) / Rows per page (1–1000).") var limit: UInt32 = 50
    @Option(help: "前の一覧に表示されたページトークン / Page token from the previous listing.") var page: String?
    @Flag(help: "JSON で表示 / Print JSON.") var json = false

    func request() throws(ProgramError) -> Renkei_V1_ListMailboxRequest {
        var request = Renkei_V1_ListMailboxRequest()
        switch status {
        case nil: break
        case "unread": request.status = .unread
        case "downloaded": request.status = .downloaded
        case "withdrawn": request.status = .withdrawn
        case "purged": request.status = .purged
        case let other?: throw ProgramError(.badArgument, "--status \(other): use unread, downloaded, withdrawn or purged")
        }
        guard (1...1000).contains(limit) else { throw ProgramError(.badArgument, "--limit must be 1 to 1000") }
        request.serviceMonth = month ?? ""
        request.partner = partner ?? ""
        request.pageSize = limit
        request.pageToken = page ?? ""
        return request
    }

    func show(_ response: Renkei_V1_ListMailboxResponse, inbox: Bool) throws {
        if json { print(try ProgramOutput.json(response.units)); return }
        print(UnitText.list(response.units, inbox: inbox), terminator: "")
        if !response.nextPageToken.isEmpty { print("次のページ / next page: --page \(response.nextPageToken)") }
    }
}

struct Inbox: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Received units / 受信一覧")
    @OptionGroup var options: ProfileOptions
    @OptionGroup var mailbox: MailboxOptions

    func run() async throws {
        let response = try await options.withClient { _, client in try await client.inbox(try mailbox.request()) }
        try mailbox.show(response, inbox: true)
    }
}

struct Sent: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Sent units / 送信済一覧")
    @OptionGroup var options: ProfileOptions
    @OptionGroup var mailbox: MailboxOptions

    func run() async throws {
        let response = try await options.withClient { _, client in try await client.sent(try mailbox.request()) }
        try mailbox.show(response, inbox: false)
    }
}

struct Show: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "One unit in detail / 受信データ詳細確認・送信済データ詳細確認")
    @OptionGroup var options: ProfileOptions
    @Flag(help: "JSON で表示 / Print JSON.") var json = false
    @Argument(help: "送信単位の ID(受信一覧・送信済一覧で確認) / The unit's ID (from inbox or sent).") var id: UInt64

    func run() async throws {
        let (detail, checked) = try await options.withClient { _, client in
            let detail = try await client.unit(id)
            let checked: Bool
            do { try await client.verifySignature(of: detail); checked = true } catch { checked = false }
            return (detail, checked)
        }
        if json { print(try ProgramOutput.json([detail])) } else { print(UnitText.detail(detail, signatureChecked: checked), terminator: "") }
    }
}

// MARK: - download, withdraw, subscribe

struct Download: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Download a unit's files, verified, and acknowledge / ダウンロード(ハッシュと署名を検証し受信を記録)",
        discussion: "Files are written under their standard names only when every hash and the sender's signature verify. --unread downloads every unread unit.")
    @OptionGroup var options: ProfileOptions
    @Option(help: "保存先フォルダ(なければ作成) / Folder to write into (created if missing).") var to = "."
    @Flag(help: "受信一覧の未読をすべて / Every unread unit in the inbox") var unread = false
    @Argument(help: "送信単位の ID(受信一覧で確認) / The unit's ID (from inbox).") var id: UInt64?

    func validate() throws {
        guard (id == nil) != (!unread) else { throw ValidationError("Give a unit ID or --unread.") }
    }

    func run() async throws {
        let folder = URL(fileURLWithPath: to)
        let results = try await options.withClient { _, client in
            var ids = id.map { [$0] } ?? []
            if unread {
                var request = Renkei_V1_ListMailboxRequest()
                request.status = .unread
                ids += try await client.allUnits(inbox: true, request).map(\.unitID)
            }
            var results: [UnitDownload.Result] = []
            for unit in ids {
                results.append(try await UnitDownload.run(unit, into: folder, client: client, progress: { ProgramOutput.progress($0, $1, $2) }))
            }
            return results
        }
        if results.isEmpty { print("未読はありません / Nothing unread") }
        for result in results {
            print("ダウンロードしました / Downloaded unit \(result.detail.summary.unitID) from \(result.detail.summary.sender) (hashes and signature verified, acknowledged):")
            for path in result.paths { print("  \(path.path)") }
        }
    }
}

struct Withdraw: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Withdraw a unit you sent, before it is downloaded / 取下げ")
    @OptionGroup var options: ProfileOptions
    @Option(help: "取下げの理由(受信側と監査記録に残ります) / Why (recorded for the recipient and the audit).") var reason = "取下げ"
    @Argument(help: "送信単位の ID / The unit's ID.") var id: UInt64

    func run() async throws {
        let sequence = try await options.withClient { _, client in try await client.withdraw(unit: id, reason: reason) }
        print("取り下げました / Withdrawn unit \(id) (event \(sequence))")
    }
}

struct Subscribe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print mailbox events as they arrive / 受信通知(追いつき、その後リアルタイム)")
    @OptionGroup var options: ProfileOptions
    @Option(help: "このカーソルの次から開始(0: 最初から) / Start after this cursor (0: from the beginning).") var after: UInt64 = 0
    @Option(help: "この件数で終了(0: 中断するまで続ける) / Stop after this many events (0: run until interrupted).") var count = 0
    @Flag(help: "JSON Lines で表示 / Print JSON Lines.") var json = false

    func run() async throws {
        try await options.withClient { _, client in
            var seen = 0
            for try await event in client.subscribe(after: after) {
                if case .heartbeat? = event.event { continue }
                // Written at once, not buffered: a program reading the pipe sees each event as it arrives.
                let text = json ? try event.jsonString() : Self.line(event)
                FileHandle.standardOutput.write(Data((text + "\n").utf8))
                seen += 1
                if count > 0, seen >= count { break }
            }
        }
    }

    static func line(_ event: Renkei_V1_SubscribeResponse) -> String {
        let time = UnitText.time(micros: event.micros)
        switch event.event {
        case .received(let unit)?: return "\(event.cursor)  \(time)  受信 received  unit \(unit.unitID) from \(unit.sender) \(UnitText.type(unit.unitType)) \(unit.serviceMonth)"
        case .sent(let unit)?: return "\(event.cursor)  \(time)  送信 sent  unit \(unit.unitID) to \(unit.recipient) \(UnitText.type(unit.unitType)) \(unit.serviceMonth)"
        case .downloaded(let unit)?: return "\(event.cursor)  \(time)  受信確認 downloaded  unit \(unit.unitID) by \(unit.by)"
        case .withdrawn(let unit)?: return "\(event.cursor)  \(time)  取下げ withdrawn  unit \(unit.unitID)"
        case .purged(let unit)?: return "\(event.cursor)  \(time)  削除 purged  unit \(unit.unitID)"
        default: return "\(event.cursor)  \(time)"
        }
    }
}
