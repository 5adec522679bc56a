import ArgumentParser
import CarePlanStandard
import Foundation
import RenkeiModel
import RenkeiOffice

/// `renkei`: the office client.
struct RenkeiCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "renkei",
        abstract: "Renkei (連携): the care-plan data exchange client / ケアプランデータ連携クライアント",
        discussion: """
        Exit status / 終了コード: 0 done; 1 the files have errors (check, or a send refused by the checks);
        2 usage or configuration; 3 a local file, folder, profile or disk problem; 4 the server cannot be reached
        or is not trusted; 5 the platform refused (its code is printed); 6 a download or an audit export did not verify.
        Errors print a number (2000s: this program, 1000s: the platform, 500s: the store) in Japanese and English.
        """,
        subcommands: [Init.self, Register.self, Send.self, Inbox.self, Sent.self, Show.self, Download.self, Withdraw.self,
                      Subscribe.self, Sync.self, UI.self, Check.self, Savings.self, Audit.self, Generate.self])

    func run() async throws {
        throw ValidationError("Choose a command (renkei --help) / コマンドを指定してください: init, register, send, inbox, sent, show, download, withdraw, subscribe, sync, ui, check, savings, audit, generate.")
    }
}

extension ReportLanguage: ExpressibleByArgument {}

/// `renkei check FILE|FOLDER…`: validate standard files and their send units; `--fix-to` writes corrected copies.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check standard CSV files (ケアプランデータ連携標準仕様 v4.1) and their send units / 標準仕様ファイルの確認",
        discussion: """
        Folders are searched recursively (point it at the care software's export folder). --fix-to DIR writes corrected
        copies of files with the common vendor deviations (UTF-8 or a BOM instead of MS932, a CSV version the standard
        does not define, a file name broken only in its form) into DIR, says what changed in each, and checks the copies;
        the originals are never changed. Exit status: 0 no errors, 1 errors, 2 usage, 3 a file or folder cannot be read.
        """)

    @Flag(help: "指摘事項を JSON で表示 / Print the findings as JSON.")
    var json = false

    @Option(help: "メッセージの言語: ja、en または both / Language of the messages: ja, en or both.")
    var lang: ReportLanguage = .ja

    @Option(help: "修正したコピーの出力先フォルダ(元のファイルは変更しません) / Write corrected copies into this folder (never in place)")
    var fixTo: String?

    @Argument(help: "確認するファイルまたはフォルダ / Files or folders to check.")
    var files: [String]

    func validate() throws {
        if files.isEmpty { throw ValidationError("Give at least one file.") }
    }

    func run() throws {
        let inputs = try InputFiles.expand(files)
        // Nothing to check is not the same as nothing wrong: never say 送信できます about no files.
        guard !inputs.isEmpty else { throw ProgramError(.badArgument, "No files to check in \(files.joined(separator: ", ")) / フォルダにファイルがありません") }
        if let fixTo {
            try fix(inputs, into: URL(fileURLWithPath: fixTo))
            return
        }
        let report = StandardChecker().check(inputs)
        if json {
            print(ReportFormatter.json(report), terminator: "")
        } else {
            print(ReportFormatter.table(report, language: lang, causes: CheckRepair.causes(inputs)), terminator: "")
        }
        if report.hasErrors { throw ExitCode(1) }
    }

    /// `--fix-to`: the copies, what changed in each, then the check of the copies.
    func fix(_ inputs: [CheckInput], into folder: URL) throws {
        let outcomes = try CheckRepair.repair(inputs, into: folder)
        for outcome in outcomes {
            if let failure = outcome.failure {
                print("\(outcome.name): 直せません / cannot be corrected: \(failure)")
            } else if outcome.changes.isEmpty {
                print("\(outcome.name): 変更なし / unchanged (copied)")
            } else {
                print("\(outcome.name) → \(folder.appendingPathComponent(outcome.copyName ?? "").path)")
                for change in outcome.changes {
                    print("  \(change.code)  " + (lang == .en ? change.english : lang == .ja ? change.japanese : change.japanese + " / " + change.english))
                }
            }
        }
        let copies = outcomes.compactMap(\.copyName).map { CheckInput.file(atPath: folder.appendingPathComponent($0).path) }
        let report = StandardChecker().check(copies)
        print("修正後のコピーの確認 / The copies checked:")
        print(json ? ReportFormatter.json(report) : ReportFormatter.table(report, language: lang), terminator: "")
        if report.hasErrors || outcomes.contains(where: { $0.failure != nil }) { throw ExitCode(1) }
    }
}

/// `renkei generate`: write a seeded set of realistic send units (test data).
struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write generated send units (test data) into a folder.")

    @Option(help: "シード値: 同じシードなら同じ内容を出力 / Seed: the same seed writes the same bytes.")
    var seed: UInt64 = 1

    @Option(help: "利用者数(居宅介護支援事業所ごと) / Number of users (per care-management office).")
    var users = 20

    @Option(help: "居宅介護支援事業所の数(それぞれ別のシード seed, seed+1, … とサービス事業所を持つ) / Number of care-management offices, each with its own seed (seed, seed+1, …) and service offices.")
    var offices = 1

    @Option(help: "サービス提供年月 YYYYMM / Service month, YYYYMM.")
    var month = "202506"

    @Option(help: "出力先フォルダ(なければ作成) / Output folder (created if missing).")
    var output: String

    @Option(help: "送信単位の代わりに、この種類のファイルを1つ出力 / Write one file of this kind (UPPLAN, UPSIKYU, UPJSK, UPHOSOKU, UP1KYO, UP2KYO, UP3KYO) instead of send units.")
    var kind: String?

    @Option(help: "--kind と併用: ファイルのおおよそのサイズ(バイト) / With --kind: the file's approximate size in bytes.")
    var size = 10_240

    func validate() throws {
        guard offices >= 1 else { throw ValidationError("--offices must be at least 1.") }
        // The generated 実績 is dated in the following month, which 999912 does not have.
        guard let yearMonth = YearMonth(month), yearMonth.next != nil else {
            throw ValidationError("The month '\(month)' is not YYYYMM between 000001 and 999911.")
        }
    }

    func run() throws {
        if let kind {
            guard let name = try? GeneratedFileWriter.write(seed: seed, kind: kind, approximateByteCount: size, month: month, to: output) else {
                throw ValidationError("Cannot write a \(kind) file to \(output) (kinds: UPPLAN, UPSIKYU, UPJSK, UPHOSOKU, UP1KYO, UP2KYO, UP3KYO).")
            }
            print(name)
            return
        }
        guard let written = try? GeneratedFileWriter.write(seed: seed, offices: offices, users: users, month: month, to: output) else {
            throw ValidationError("Cannot write to \(output), or the month '\(month)' is not YYYYMM.")
        }
        print("\(written) files written to \(output)")
    }
}
