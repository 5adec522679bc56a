import ArgumentParser
import Foundation
import RenkeiAPI
import RenkeiClient
import RenkeiModel
import RenkeiOffice

struct Sync: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send what appears in an outbox folder, deliver the inbox into a folder / フォルダ連携(送信・受信の自動化)",
        discussion: """
        Files the care software writes into --outbox are sent once they have not changed for --settle seconds, grouped
        by 連番; sent units move to OUTBOX/sent, refused ones to OUTBOX/rejected with NAME.findings.txt beside them.
        Every unread unit is downloaded into --inbox (verified, whole) and acknowledged. Runs until interrupted;
        survives restarts and server outages without double sends or lost files.
        """)
    @OptionGroup var options: ProfileOptions
    @Option(help: "介護ソフトが書き出すフォルダ / The folder the care software exports into.") var outbox: String
    @Option(help: "受信したファイルの保存先フォルダ / The folder received files go into.") var inbox: String
    @Option(help: "ファイルが変更されなくなってから送信するまでの秒数 / Seconds a file must be unchanged before it is sent.") var settle = 2.0
    @Option(help: "送信単位がそろうまで待つ最長の秒数 / Seconds the files of an incomplete send unit wait for the rest.") var incompleteWait = 60.0
    @Option(help: "確認の間隔(秒) / Seconds between passes.") var interval = 2.0
    @Flag(help: "1回だけ実行して終了 / One pass, then exit.") var once = false

    func validate() throws {
        guard (0...3600).contains(settle), (0...86_400).contains(incompleteWait), (0.1...3600).contains(interval) else {
            throw ValidationError("--settle 0–3600, --incomplete-wait 0–86400, --interval 0.1–3600")
        }
    }

    func run() async throws {
        let profile = try ClientProfile(folder: ClientProfile.folder(options.profile))
        let sync = try FolderSync(profile: profile, outbox: URL(fileURLWithPath: outbox), inbox: URL(fileURLWithPath: inbox), settle: settle, incompleteWait: incompleteWait) { line in
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
        if once {
            _ = await sync.pass()
            return
        }
        FileHandle.standardOutput.write(Data("renkei sync: \(outbox) → platform → \(inbox) (Ctrl-C stops)\n".utf8))
        await sync.run(interval: .milliseconds(Int(interval * 1000)))
    }
}

struct Savings: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "This office's savings from its own traffic / 削減効果の試算",
        discussion: "Every assumption is printed with its flag and default; the national study's per-office estimates are shown beside the result.")
    @OptionGroup var options: ProfileOptions
    @Option(help: "暦年(日本時間) / Calendar year (Japan time).") var year: Int
    @Option(help: "1ファイルあたりの印刷枚数 / Printed pages per file.") var pagesPerFile: Double?
    @Option(help: "1枚あたりの用紙・トナー代(円) / Paper and toner per page, yen.") var printYenPerPage: Double?
    @Option(help: "郵送する送信単位の割合 0–1(残りは FAX) / Share of units posted, 0–1 (the rest faxed).") var postShare: Double?
    @Option(help: "郵送1件あたりの郵便料金(円) / Postage per unit posted, yen.") var postageYen: Double?
    @Option(help: "FAX 1枚あたりの通信費(円) / FAX line cost per page, yen.") var faxYenPerPage: Double?
    @Option(help: "送信1件あたりの作業時間(分) / Staff minutes per unit sent.") var minutesPerSent: Double?
    @Option(help: "受信1件あたりの作業時間(分) / Staff minutes per unit received.") var minutesPerReceived: Double?
    @Option(help: "1時間あたりの人件費(円) / Staff cost per hour, yen.") var staffYenPerHour: Double?
    @Flag(help: "JSON で表示(送受信量・前提・試算値) / Print JSON (traffic, assumptions and figures).") var json = false

    func run() async throws {
        guard (2000...2100).contains(year) else { throw ProgramError(.badArgument, "--year \(year) is not 2000–2100") }
        var assumptions = SavingsStatement.Assumptions()
        for (value, path) in [(pagesPerFile, \SavingsStatement.Assumptions.pagesPerFile), (printYenPerPage, \.printYenPerPage),
                              (postShare, \.postShare), (postageYen, \.postageYenPerUnit), (faxYenPerPage, \.faxYenPerPage),
                              (minutesPerSent, \.minutesPerUnitSent), (minutesPerReceived, \.minutesPerUnitReceived),
                              (staffYenPerHour, \.staffYenPerHour)] {
            guard let value else { continue }
            guard value >= 0, value <= 1_000_000, path != \.postShare || value <= 1 else {
                throw ProgramError(.badArgument, "an assumption must be 0 or more (--post-share at most 1): \(value)")
            }
            assumptions[keyPath: path] = value
        }
        let (office, traffic) = try await options.withClient { profile, client in
            (profile.settings.office, try await SavingsTraffic.collect(year: year, client: client))
        }
        let statement = SavingsStatement(year: year, office: office, traffic: traffic, assumptions: assumptions)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(statement), as: UTF8.self))
        } else {
            print(statement.text, terminator: "")
        }
    }
}
