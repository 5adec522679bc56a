// renkei-admin: the operator's command line. Argument parsing only; the work is RenkeiClient's (through the
// server, with an operator certificate) or RenkeiHost's (on a data folder's store).
import ArgumentParser
import Foundation
import RenkeiAPI
import RenkeiClient
import RenkeiHost
import RenkeiModel
import RenkeiOffice

struct Admin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "renkei-admin",
        abstract: "Operate the Renkei platform / 連携基盤の運用",
        discussion: """
        Through the server (an operator profile: --profile or $RENKEI_PROFILE): registrations, license, certificate, stats, checkpoint.
        On a data folder's store, running or stopped (--data): verify, view, dump, backup; stopped only: rebuild, retention.
        Exit status: 0 done; 2 usage; 3 a local file or folder problem; 4 the server cannot be reached or is not trusted;
        5 the platform refused (its code is printed); 6 verify found a difference.
        """,
        subcommands: [Registrations.self, License.self, CertificateCommand.self, Stats.self, Checkpoint.self,
                      Verify.self, Rebuild.self, View.self, Backup.self, Retention.self, Dump.self, Migrate.self])
}

struct ProfileOptions: ParsableArguments {
    @Option(help: "運用者の利用者設定のフォルダ。既定: $RENKEI_PROFILE、なければ ~/.renkei / The operator's profile folder. Default: $RENKEI_PROFILE, else ~/.renkei")
    var profile: String?

    func withClient<R>(_ body: (RenkeiClient) async throws -> R) async throws -> R {
        try await ClientProfile.withClient(folder: ClientProfile.folder(profile)) { _, client in try await body(client) }
    }
}

struct DataOptions: ParsableArguments {
    @Option(help: "サーバーのデータフォルダ / The server's data folder") var data = "renkei-data"
}

// MARK: - Registrations

struct Registrations: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Applications for use / 利用申請の一覧・承認・却下",
                                                    subcommands: [List.self, Approve.self, Reject.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List applications (default: pending) / 一覧")
        @OptionGroup var options: ProfileOptions
        @Option(help: "requested(申請中)、approved(承認済)、rejected(却下)または all(すべて) / requested, approved, rejected or all.") var status = "requested"
        @Flag(help: "JSON で表示 / Print JSON.") var json = false

        func run() async throws {
            let filter: Renkei_V1_RegistrationStatus = switch status {
            case "requested": .requested
            case "approved": .approved
            case "rejected": .rejected
            case "all": .unspecified
            default: throw ProgramError(.badArgument, "--status \(status): requested, approved, rejected or all")
            }
            let registrations = try await options.withClient { try await $0.listRegistrations(status: filter, limit: 1000) }
            if json { print(try ProgramOutput.json(registrations)); return }
            print(ProgramOutput.table(["事業所番号 Office", "事業所名 Name", "種類 Kinds", "県 Pref", "担当 Contact", "申請 Requested"],
                                      registrations.map { [$0.office.officeNumber, $0.office.name, $0.office.serviceKinds.joined(separator: ","),
                                                           String($0.office.prefecture), $0.contactPerson, UnitText.time(micros: $0.requestedMicros)] }),
                  terminator: "")
        }
    }

    struct Approve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Approve applications / 承認")
        @OptionGroup var options: ProfileOptions
        @Argument(help: "事業所番号 / Office numbers") var offices: [String]

        func run() async throws {
            try await options.withClient { client in
                for office in offices {
                    let sequence = try await client.approveRegistration(of: office)
                    print("承認しました / Approved \(office) (event \(sequence))")
                }
            }
        }
    }

    struct Reject: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Reject an application / 却下")
        @OptionGroup var options: ProfileOptions
        @Option(help: "却下の理由(事業所に表示されます) / Why (the office sees it).") var reason: String
        @Argument(help: "事業所番号 / Office number") var office: String

        func run() async throws {
            let sequence = try await options.withClient { try await $0.rejectRegistration(of: office, reason: reason) }
            print("却下しました / Rejected \(office) (event \(sequence))")
        }
    }
}

// MARK: - Licences

struct License: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "license", abstract: "Licences (¥21,000 a year) / ライセンス",
        subcommands: [Activate.self, Renew.self, Cancel.self, Statement.self])

    struct Activate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Activate a one-year licence / 有効化")
        @OptionGroup var options: ProfileOptions
        @Option(help: "offset(給付費との相殺)、invoice(請求書)または waived(免除) / offset (against benefit payments), invoice or waived (free pass).") var settlement = "offset"
        @Option(help: "開始日 YYYY-MM-DD(既定: 今日) / First day, YYYY-MM-DD (default today).") var start = ""
        @Argument(help: "事業所番号 / Office numbers") var offices: [String]

        func run() async throws {
            let kind: Renkei_V1_Settlement = switch settlement {
            case "offset": .benefitOffset
            case "invoice": .invoice
            case "waived": .waived
            default: throw ProgramError(.badArgument, "--settlement \(settlement): offset, invoice or waived")
            }
            try await options.withClient { client in
                for office in offices {
                    let sequence = try await client.activateLicense(for: office, settlement: kind, startDay: start)
                    print("ライセンスを有効にしました / Licence active for \(office) (event \(sequence))")
                }
            }
        }
    }

    struct Renew: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Renew licences whose period ended (unless cancelled), expire the cancelled / 自動更新")
        @OptionGroup var options: ProfileOptions

        func run() async throws {
            let result = try await options.withClient { try await $0.advanceLicenses() }
            print("更新 renewed \(result.renewed), 失効 expired \(result.expired)")
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel at the end of the period / 解約")
        @OptionGroup var options: ProfileOptions
        @Option(help: "解約の理由 / Why.") var reason: String
        @Argument(help: "事業所番号 / Office number") var office: String

        func run() async throws {
            let sequence = try await options.withClient { try await $0.cancelLicense(for: office, reason: reason) }
            print("解約しました / Cancelled \(office) (event \(sequence))")
        }
    }

    struct Statement: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The annual offset statement as CSV (UTF-8 with BOM, for Excel) / 相殺明細")
        @OptionGroup var options: ProfileOptions
        @Option(help: "年度(4月〜翌年3月)。例: 2026 / Fiscal year (April to March), e.g. 2026.") var year: UInt32
        @Option(help: "出力する CSV ファイル / The CSV file to write.") var out: String

        func run() async throws {
            guard (2000...2100).contains(year) else { throw ProgramError(.badArgument, "--year \(year) is not 2000–2100") }
            let statements = try await options.withClient { client in
                var statements: [Renkei_V1_OffsetStatement] = []
                for registration in try await client.listRegistrations(status: .approved, limit: 10_000) {
                    statements.append(try await client.offsetStatement(of: registration.office.officeNumber, fiscalYear: year))
                }
                return statements
            }
            try LocalFiles.writeWhole(OperatorReports.offsetCSV(statements), to: URL(fileURLWithPath: out))
            print("\(statements.count) 事業所の相殺明細を書きました / statements written to \(out)")
        }
    }
}

// MARK: - Certificates, stats, checkpoint

struct CertificateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "certificate", abstract: "Issue and revoke certificates / 証明書の発行・失効",
                                                    subcommands: [Issue.self, Revoke.self])

    struct Issue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Issue a certificate from a CSR / 発行")
        @OptionGroup var options: ProfileOptions
        @Option(help: "有効日数(既定: 連携基盤の設定) / Days valid (default: the platform's).") var days: UInt32 = 0
        @Option(help: "証明書と証明書チェーンの出力先(PEM) / Where to write the certificate and its chain (PEM).") var out: String
        @Argument(help: "事業所の証明書要求 CSR(PEM) / The office's CSR (PEM).") var csr: String

        func run() async throws {
            let request = try LocalFiles.read(URL(fileURLWithPath: csr), limit: 64 << 10)
            let issued = try await options.withClient { try await $0.issueCertificate(csr: request, validDays: days) }
            try LocalFiles.writeWhole(Array((issued.certificatePem + issued.chainPem).utf8), to: URL(fileURLWithPath: out))
            print("発行しました / Issued serial \(issued.serial) → \(out)")
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a certificate (effective at once) / 失効")
        @OptionGroup var options: ProfileOptions
        @Option(help: "失効の理由 / Why.") var reason: String
        @Argument(help: "シリアル番号(16進) / The serial number (hex).") var serial: String

        func run() async throws {
            let sequence = try await options.withClient { try await $0.revokeCertificate(serial: serial, reason: reason) }
            print("失効させました / Revoked \(serial) (event \(sequence))")
        }
    }
}

struct Stats: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Offices, licences and units by prefecture / 統計 (--svg for a chart file)")
    @OptionGroup var options: ProfileOptions
    @Option(help: "対象年月 YYYYMM(既定: 今月) / Month YYYYMM (default: this month).") var month = ""
    @Option(help: "都道府県別の送信単位数の棒グラフ(SVG)も出力 / Also write a bar chart of units by prefecture (SVG).") var svg: String?
    @Flag(help: "JSON で表示 / Print JSON.") var json = false

    func run() async throws {
        let stats = try await options.withClient { try await $0.stats(month: month) }
        if let svg { try LocalFiles.writeWhole(Array(OperatorReports.svg(stats).utf8), to: URL(fileURLWithPath: svg)) }
        if json { print(try ProgramOutput.json([stats])); return }
        print("登録 registered \(stats.officesRegistered)  申請中 pending \(stats.officesPending)  有効ライセンス active licences \(stats.licensesActive)  \(stats.month)")
        print(ProgramOutput.table(["都道府県 Prefecture", "送信単位 Units", "ファイル Files", "バイト Bytes"],
                                  stats.byPrefecture.map { [String($0.prefecture), String($0.units), String($0.files), String($0.bytes)] }), terminator: "")
    }
}

struct Checkpoint: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Sign a checkpoint of the log now / チェックポイントの署名")
    @OptionGroup var options: ProfileOptions

    func run() async throws {
        print(try await options.withClient { try await $0.checkpointNow() }, terminator: "")
    }
}

// MARK: - On the store

struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check record hashes, the Merkle root, and every projection against a rebuild / 検証")
    @OptionGroup var data: DataOptions

    func run() async throws {
        let (result, live) = try await StoreMaintenance.with(data: data.data) { store in
            (try await store.verify(progress: { ProgramOutput.progress("events checked", Int($0), Int($1)) }), store.isLive)
        }
        print("ログ log: \(result.events) events, root \(result.root)\(live ? " (live store: as of its last checkpoint)" : "")")
        for projection in result.projections { print("  \(projection.matches ? "一致 ok      " : "不一致 DIFFERS") \(projection.name)") }
        guard result.matches else { throw ProgramError(.storeMismatch, "a projection differs from its rebuild; `renkei-admin rebuild` (server stopped) replaces it") }
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy the embedded store into PostgreSQL and prove the copy (server stopped) / PostgreSQL への移行",
        discussion: "Copies every event as recorded, the dictionaries, every key space and every file into an empty schema, then compares the Merkle roots and each key space's digest. Afterwards: renkei-server --store URL. Exit 6 when the copy differs.")
    @OptionGroup var data: DataOptions
    @Option(help: "移行先 / Where to: postgres://user@host:port/database?schema=name (an empty schema)") var to: String

    func run() async throws {
        let report = try await StoreMaintenance.with(data: data.data) { store in
            try await store.migrate(to: to) { label, done, total in ProgramOutput.progress(label, Int(done), Int(total)) }
        }
        print("ログ log: \(report.events) events; root \(report.sourceRoot.isEmpty ? "(empty)" : report.sourceRoot)")
        print("  \(report.sourceRoot == report.targetRoot ? "一致 ok      " : "不一致 DIFFERS") Merkle root in PostgreSQL \(report.targetRoot)")
        for space in report.spaces { print("  \(space.matches ? "一致 ok      " : "不一致 DIFFERS") \(space.name) (\(space.entries) entries)") }
        print("ファイル files: \(report.files); 辞書 dictionaries: \(report.dictionaries)")
        guard report.matches else { throw ProgramError(.storeMismatch, "the copy differs from the store / 移行先が一致しません") }
        print("移行しました / Migrated: start the servers with --store and the same URL")
    }
}

struct Rebuild: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Replace projections that differ from a rebuild (server stopped) / 再構築")
    @OptionGroup var data: DataOptions

    func run() async throws {
        let replaced = try await StoreMaintenance.with(data: data.data) { try await $0.rebuild(progress: { ProgramOutput.progress("events replayed", Int($0), Int($1)) }) }
        print(replaced.isEmpty ? "すべて一致 / every projection equals its rebuild" : "再構築しました / replaced: \(replaced.joined(separator: ", "))")
    }
}

struct View: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The platform as it was at a sequence or a time (JSON) / 時点指定の表示")
    @OptionGroup var data: DataOptions
    @Option(help: "イベント番号または日時(ISO 8601) / A sequence number, or a time (ISO 8601, e.g. 2026-11-30T09:00:00+09:00).") var at: String

    func run() async throws {
        let sequence = UInt64(at)
        let time = sequence == nil ? ISO8601DateFormatter().date(from: at) : nil
        guard sequence != nil || time != nil else { throw ProgramError(.badArgument, "--at \(at): a sequence number or an ISO 8601 time") }
        print(try await StoreMaintenance.with(data: data.data) {
            try await $0.view(at: sequence, time: time, progress: { ProgramOutput.progress("events replayed", Int($0), Int($1)) })
        })
    }
}

struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "A hot, compacted copy of the store / バックアップ")
    @OptionGroup var data: DataOptions
    @Option(help: "コピー先の新しいフォルダ / A new folder for the copy.") var to: String

    func run() async throws {
        let live = try await StoreMaintenance.with(data: data.data) { store in
            // LMDB copies in one call: the bar follows the copy's size against the store's.
            let watcher = Task { [to] in
                let total = store.size
                while !Task.isCancelled, total > 0 {
                    let done = (try? FileManager.default.attributesOfItem(atPath: to + "/store/data.mdb")[.size] as? Int) ?? 0
                    ProgramOutput.progress("bytes", min(done, total - 1), total)
                    try? await Task.sleep(for: .milliseconds(200))
                }
            }
            defer { watcher.cancel() }
            let live = try await store.backup(to: to)
            ProgramOutput.progress("bytes", 1, 1)
            return live
        }
        print("バックアップしました / Backed up to \(to)\(live ? " (from a running server: as of its last checkpoint, at most a second behind)" : "")")
    }
}

struct Retention: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Purge files past the retention policy (server stopped) / 保存期間の適用",
                                                    subcommands: [Run.self])
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Apply it now / 実行")
        @OptionGroup var data: DataOptions

        func run() async throws {
            let purged = try await StoreMaintenance.with(data: data.data) { try await $0.retention() }
            print("\(purged) 件の送信単位のファイルを削除しました / units purged")
        }
    }
}

struct Dump: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Events as JSON Lines / イベントの出力")
    @OptionGroup var data: DataOptions
    @Option(help: "最初のイベント番号 / First sequence.") var from: UInt64 = 1
    @Option(help: "出力する最大イベント数 / At most this many events.") var limit = 1_000_000

    func run() async throws {
        try await StoreMaintenance.with(data: data.data) { store in
            try await store.dump(from: from, limit: limit) { line in FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
        }
    }
}

/// Runs a command's async `run` (on an existential, Swift would pick the synchronous one).
func runAsync(_ command: some AsyncParsableCommand) async throws {
    var command = command
    try await command.run()
}

do {
    var command = try Admin.parseAsRoot()
    if let command = command as? any AsyncParsableCommand { try await runAsync(command) } else { try command.run() }
} catch where error is ProgramError || error is RenkeiClientError {
    let (message, status) = ProgramOutput.failure(error)
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(status.rawValue)
} catch {
    let status = Admin.exitCode(for: error)
    let message = Admin.fullMessage(for: error)
    if status == .success { print(message); exit(0) }
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(2)
}
