import ArgumentParser
import Foundation
import RenkeiAPI
import RenkeiModel
import RenkeiOffice

/// `renkei audit …`: tamper-evident trails for auditors (an auditor certificate for export and consistency;
/// verify needs no network).
struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export and verify tamper-evident event trails / 監査証跡の出力と検証",
        subcommands: [AuditExport.self, AuditVerify.self, AuditConsistency.self])
}

struct AuditExport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export events with inclusion proofs and a signed checkpoint / 証跡の出力 (JSON Lines; --csv for Excel)")
    @OptionGroup var options: ProfileOptions
    @Option(help: "指定した事業所番号に関わるイベントのみ / Only events that concern this office.") var office: String?
    @Option(help: "最初のイベント番号(既定 1) / First event sequence (default 1).") var from: UInt64 = 0
    @Option(help: "最後のイベント番号(既定: 最新) / Last event sequence (default: the latest).") var to: UInt64 = 0
    @Option(help: "出力する JSON Lines ファイル / The JSON Lines file to write.") var out: String
    @Option(help: "CSV も出力(BOM 付き UTF-8、Excel 用) / Also write a CSV (UTF-8 with BOM, for Excel).") var csv: String?

    func run() async throws {
        guard to == 0 || from <= to else { throw ProgramError(.badArgument, "--from \(from) is after --to \(to)") }
        let (events, checkpoint, info) = try await options.withClient { _, client in
            var request = Renkei_V1_ExportRequest()
            request.fromSequence = from
            request.toSequence = to
            request.officeNumber = office ?? ""
            let info = try await client.serverInfo()
            // Progress by sequence across the range exported.
            let first = max(1, from), last = to == 0 ? info.latestSequence : min(to, info.latestSequence)
            let (events, checkpoint) = try await client.export(request) { sequence in
                guard last >= first, sequence >= first, sequence % 256 == 0 || sequence == last else { return }
                ProgramOutput.progress("events", Int(sequence - first + 1), Int(last - first + 1))
            }
            return (events, checkpoint, info)
        }
        let bytes = try AuditTrail.jsonLines(events: events, checkpoint: checkpoint, info: info, office: office ?? "", from: from, to: to)
        try LocalFiles.writeWhole(bytes, to: URL(fileURLWithPath: out))
        if let csv { try LocalFiles.writeWhole(AuditTrail.csv(events: events), to: URL(fileURLWithPath: csv)) }
        print("\(events.count) 件を出力しました / events exported to \(out)\(csv.map { " and \($0)" } ?? "")")
    }
}

struct AuditVerify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify an export offline / 証跡の検証(オフライン)",
        discussion: "Checks the checkpoint certificate against the platform CA, the checkpoint's signature, every event's inclusion proof, each line against its record, and every upload's sender signature. Exit 0 when all verify, 6 when something does not.")
    @Option(help: "連携基盤の CA 証明書を読む利用者設定のフォルダ(または --ca) / Profile folder whose platform CA to use (or --ca).") var profile: String?
    @Option(help: "連携基盤の CA 証明書(PEM) / The platform CA certificates (PEM).") var ca: String?
    @Argument(help: "出力した証跡(JSON Lines) / The export (JSON Lines).") var file: String

    func run() throws {
        let caPEM: String
        if let ca {
            caPEM = String(decoding: try LocalFiles.read(URL(fileURLWithPath: ca), limit: 256 << 10), as: UTF8.self)
        } else {
            let folder = ClientProfile.folder(profile)
            caPEM = String(decoding: try LocalFiles.read(folder.appendingPathComponent("platform-ca.pem"), limit: 256 << 10), as: UTF8.self)
        }
        let bytes = try LocalFiles.read(URL(fileURLWithPath: file), limit: AuditTrail.maximumFileBytes)
        let result = try AuditTrail.verify(bytes, platformCAPEM: caPEM)
        print("検証しました / Verified: \(result.events) events, \(result.signatures) sender signatures, checkpoint tree size \(result.treeSize), root \(result.root)")
    }
}

struct AuditConsistency: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consistency",
        abstract: "Prove the log only grew between two exports / 二つの証跡の間でログが追記のみであることの確認")
    @OptionGroup var options: ProfileOptions
    @Argument(help: "古い方の証跡 / The older export.") var older: String
    @Argument(help: "新しい方の証跡 / The newer export.") var newer: String

    func run() async throws {
        let profile = try options.load()
        let old = try AuditTrail.verify(try LocalFiles.read(URL(fileURLWithPath: older), limit: AuditTrail.maximumFileBytes), platformCAPEM: profile.platformCAPEM)
        let new = try AuditTrail.verify(try LocalFiles.read(URL(fileURLWithPath: newer), limit: AuditTrail.maximumFileBytes), platformCAPEM: profile.platformCAPEM)
        let proof = try await options.withClient { _, client in try await client.consistencyProof(from: old.treeSize, to: new.treeSize) }
        try AuditTrail.verifyConsistency(proof.proof.map { Array($0) }, old: old, new: new)
        print("一貫性を確認しました / Consistent: the log of \(new.treeSize) events extends the log of \(old.treeSize) events")
    }
}
