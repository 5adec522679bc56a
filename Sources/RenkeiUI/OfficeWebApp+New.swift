import CarePlanStandard
import Foundation
import Hummingbird
import NIOCore
import RenkeiAPI
import RenkeiClient
import RenkeiModel
import RenkeiOffice

/// The files the office is putting together on 新規作成, held in memory until sent or cleared.
actor Drafts {
    private(set) var files: [OutgoingFile] = []

    /// The most files and bytes a draft holds (the platform's defaults for one send).
    static let maximumFiles = 64
    static let maximumBytes = 64 << 20

    /// Adds or replaces `name`; refuses what would pass the bounds.
    func put(_ file: OutgoingFile) throws(ProgramError) {
        let others = files.filter { $0.name != file.name }
        guard others.count < Self.maximumFiles else { throw ProgramError(.badArgument, "ファイルは \(Self.maximumFiles) 件までです / at most \(Self.maximumFiles) files") }
        guard others.reduce(file.bytes.count, { $0 + $1.bytes.count }) <= Self.maximumBytes else {
            throw ProgramError(.badArgument, "合計 \(Self.maximumBytes >> 20) MiB までです / at most \(Self.maximumBytes >> 20) MiB in all")
        }
        files = others + [file]
    }

    func replace(_ name: String, with file: OutgoingFile) {
        files = files.filter { $0.name != name && $0.name != file.name } + [file]
    }

    func clear() { files = [] }

    /// Refusals of uploads, shown (once) by the next 新規作成 page: the page's script reloads after its uploads.
    private(set) var notices: [String] = []

    func notice(_ text: String) { notices = Array((notices + [text]).suffix(Self.maximumFiles)) }

    func takeNotices() -> [String] {
        defer { notices = [] }
        return notices
    }
}

struct StagedRow { let name: String; let size: Int; let recipient: String; let verdict: String }
struct FindingRow { let file: String; let line: String; let column: String; let columnName: String; let code: String; let level: String; let message: String }
struct HintRow { let base: String; let name: String; let text: String }
struct DirectoryRow { let number: String; let name: String; let kinds: String; let prefecture: UInt32 }
struct ReceiptRow { let base: String; let id: UInt64; let serial: String; let recipient: String; let files: Int; let time: String }

struct NewPage {
    let base: String
    let office: String
    let title = "新規作成"
    let message: String?
    let staged: [StagedRow]
    let stagedCount: Int
    let findings: [FindingRow]
    let hasFindings: Bool
    let errors: Int
    let warnings: Int
    let hints: [HintRow]
    let hasHints: Bool
    let query: String
    let searched: Bool
    let directory: [DirectoryRow]
    let hasDirectory: Bool
    let receipts: [ReceiptRow]
    let hasReceipts: Bool
    let ready: Bool
    let printable: Bool
}

extension OfficeWebApp {
    /// The largest single upload the page takes.
    static let maximumUploadBytes = 64 << 20

    /// 新規作成: the files taken in, the standard's findings with line and column, repair hints for the common
    /// vendor deviations, the directory to confirm the recipient, and the send button (only when nothing is wrong).
    func newPage(query: String = "", message: String? = nil, receipts: [ReceiptRow] = [], status: HTTPResponse.Status = .ok) async throws -> Response {
        let files = await drafts.files
        let message = (await drafts.takeNotices() + [message].compactMap { $0 }).joined(separator: " ")
        let csv = files.filter { $0.name.uppercased().hasSuffix(".CSV") }.map { CheckInput(name: $0.name, source: .bytes($0.bytes)) }
        let report = StandardChecker().check(csv)
        var causes: [String: StandardRepair.Change] = [:]
        for file in files { if let cause = StandardRepair.diagnosis(name: file.name, bytes: file.bytes) { causes[file.name] = cause } }
        var hints = causes.sorted { $0.key < $1.key }.map { HintRow(base: base, name: $0.key, text: $0.value.japanese) }
        // A name broken only in its form, or an undefined CSV version: the repair says so when it would change something.
        for file in files where causes[file.name] == nil {
            if let repaired = try? StandardRepair.repair(name: file.name, bytes: file.bytes), !repaired.changes.isEmpty {
                hints.append(HintRow(base: base, name: file.name, text: repaired.changes.map(\.japanese).joined(separator: " ")))
            }
        }
        let findings = report.findings.filter { !($0.code == .encoding && causes[$0.file] != nil) }.prefix(300).map { finding in
            FindingRow(file: finding.file, line: finding.line.map(String.init) ?? "-", column: finding.column.map(String.init) ?? "-",
                       columnName: finding.columnName ?? "", code: finding.code.rawValue, level: finding.level == .error ? "エラー" : "警告",
                       message: finding.messageJA)
        }
        let errors = report.errorCount
        let staged = files.map { file in
            let name = try? FileName.parse(file.name)
            let fileErrors = report.files.first { $0.file == file.name }?.errorCount ?? 0
            return StagedRow(name: file.name, size: file.bytes.count, recipient: name?.recipient.rawValue ?? "-",
                             verdict: name == nil && !SendPlan.isAttachment(file.name) ? "標準仕様のファイル名ではありません" : fileErrors > 0 ? "エラー \(fileErrors) 件" : "OK")
        }
        var directory: [DirectoryRow] = []
        let trimmed = query.trimmingCharacters(in: .whitespaces)
        if !trimmed.isEmpty {
            var search = Renkei_V1_SearchDirectoryRequest()
            if trimmed.allSatisfy(\.isNumber) { search.numberPrefix = String(trimmed.prefix(10)) } else { search.namePrefix = String(trimmed.prefix(64)) }
            search.limit = 50
            directory = try await client.searchDirectory(search).map {
                DirectoryRow(number: $0.officeNumber, name: $0.name, kinds: $0.serviceKinds.joined(separator: ","), prefecture: $0.prefecture)
            }
        }
        let sendable = (try? SendPlan(files: files, sender: office)) != nil
        let model = NewPage(base: base, office: office, message: message.isEmpty ? nil : message, staged: staged, stagedCount: staged.count,
                            findings: Array(findings), hasFindings: !findings.isEmpty, errors: errors, warnings: report.warningCount,
                            hints: hints, hasHints: !hints.isEmpty, query: trimmed, searched: !trimmed.isEmpty, directory: directory,
                            hasDirectory: !directory.isEmpty, receipts: receipts, hasReceipts: !receipts.isEmpty,
                            ready: !files.isEmpty && errors == 0 && sendable, printable: files.contains { PrintForms.isPrinted($0.name) })
        return html(render(model, "new"), status: status)
    }

    /// Takes one file's bytes (the page's script sends each chosen file as the body). A refusal is also kept for
    /// the page the script loads next.
    func upload(_ request: Request, name: String) async throws -> Response {
        let refused = { (text: String, status: HTTPResponse.Status) async throws -> Response in
            await self.drafts.notice(text)
            return self.html(self.render(MessagePage(base: self.base, office: self.office, title: "取り込めませんでした", message: text, detail: nil), "message"),
                             status: status)
        }
        guard !name.isEmpty, name.utf8.count <= 255, !name.contains("/"), !name.hasPrefix(".") else { return try await refused("ファイル名が正しくありません。", .unprocessableContent) }
        // A standard name, an attachment, or a name a repair hint can correct (lower case, full-width, " (1)").
        guard (try? FileName.parse(name)) != nil || SendPlan.isAttachment(name) || (try? FileName.parse(StandardRepair.normalizedName(name))) != nil else {
            return try await refused("\(name) は標準仕様のファイル名ではありません(PDF・JPEG・PNG の添付は可)。取り込んでいません。", .unprocessableContent)
        }
        let body: ByteBuffer
        do { body = try await request.body.collect(upTo: Self.maximumUploadBytes) } catch {
            return try await refused("\(name) は大きすぎます(\(Self.maximumUploadBytes >> 20) MiB まで)。取り込んでいません。", .contentTooLarge)
        }
        do { try await drafts.put(OutgoingFile(name: name, bytes: Array(buffer: body))) } catch { return try await refused("\(name): " + error.code.japanese + ": " + error.detail + " 取り込んでいません。", .unprocessableContent) }
        // A short answer, not the whole page: the script loads 新規作成 once all its uploads are in.
        return html(render(MessagePage(base: base, office: office, title: "取り込みました", message: "\(name) を取り込みました。", detail: nil), "message"))
    }

    /// Replaces a staged file with its corrected copy (never silently: the page lists what changed).
    func fix(_ name: String) async throws -> Response {
        guard let file = await drafts.files.first(where: { $0.name == name }) else { return try await newPage(message: "\(name) はありません。", status: .notFound) }
        let repaired: StandardRepair.Repaired
        do { repaired = try StandardRepair.repair(name: file.name, bytes: file.bytes) } catch {
            return try await newPage(message: "\(name) は直せません: \(error.reason)", status: .unprocessableContent)
        }
        await drafts.replace(name, with: OutgoingFile(name: repaired.name, bytes: repaired.bytes))
        return try await newPage(message: "\(name): " + repaired.changes.map(\.japanese).joined(separator: " "))
    }

    /// Checks, signs and sends the staged files (one unit per 連番); the draft is cleared once all are sent.
    func sendDraft() async throws -> Response {
        let plan: SendPlan
        do { plan = try SendPlan(files: await drafts.files, sender: office) } catch {
            return try await newPage(message: error.code.japanese + ": " + error.detail, status: .unprocessableContent)
        }
        var receipts: [ReceiptRow] = []
        var refusal: RenkeiClientError?
        for unit in plan.units {
            do {
                let receipt = try await client.send(unit.files, to: unit.recipient, idempotencyKey: unit.idempotencyKey)
                receipts.append(ReceiptRow(base: base, id: receipt.unitID, serial: unit.serial, recipient: unit.recipient, files: unit.files.count,
                                           time: UnitText.time(micros: receipt.committedMicros)))
            } catch {
                // A transport failure goes to `page` (no server); a refusal stays on this page, with what was sent.
                guard error.detail != nil else { throw error }
                refusal = error
                break
            }
        }
        if let refusal {
            let sent = receipts.isEmpty ? "何も送信していません。" : "\(receipts.count) 件は送信済みです。"
            return try await newPage(message: "\(refusal.detail?.messageJa ?? "") — \(refusal.detail?.detail ?? "") \(sent)", receipts: receipts,
                                     status: .unprocessableContent)
        }
        await drafts.clear()
        return try await newPage(message: "\(receipts.count) 件の送信単位を送信しました。", receipts: receipts)
    }
}
