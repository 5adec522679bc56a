// renkei-server: the platform. Argument parsing only; the work is RenkeiHost's.
import ArgumentParser
import Foundation
import Logging
import RenkeiHost
import RenkeiModel
import RenkeiOffice

struct RenkeiServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "renkei-server",
        abstract: "The Renkei platform server / ケアプランデータ連携基盤サーバー",
        discussion: """
        Settings come from defaults, then --config FILE (JSON), then RENKEI_* environment variables, then flags.
        Development mode (the default) creates a local CA, the server certificate and demo identities in the data
        folder on first start and prints what to try next. Production mode needs --certificate, --key and --ca.
        設定は 既定値 → 設定ファイル → 環境変数 RENKEI_* → フラグ の順に上書きされます。
        Exit status: 0 stopped by SIGTERM/SIGINT; 2 bad configuration; 3 a file or the data folder cannot be used.
        """)

    @Option(help: "JSON 形式の設定ファイル / A JSON configuration file.") var config: String?
    @Option(help: "development(開発)または production(本番) / development or production.") var mode: String?
    @Option(help: "データフォルダ(既定 renkei-data) / The data folder (default renkei-data).") var data: String?
    @Option(help: "待ち受けるアドレス(既定 127.0.0.1) / Address to listen on (default 127.0.0.1).") var host: String?
    @Option(help: "ポート番号(既定 7443、0: 空いている任意のポート) / Port (default 7443; 0: any free port).") var port: Int?
    @Option(help: "PEM: サーバー証明書と中間 CA 証明書 / PEM: the server certificate and the intermediate.") var certificate: String?
    @Option(help: "PEM: サーバー証明書の秘密鍵 / PEM: the server certificate's key.") var key: String?
    @Option(help: "PEM: 連携基盤の CA(ルート・中間) / PEM: the platform CA (root, intermediate).") var ca: String?
    @Option(help: "PEM: 中間 CA の秘密鍵(証明書の発行・CRL の公開用) / PEM: the intermediate's key (issue certificates, publish the CRL).") var caKey: String?
    @Option(help: "Prometheus /metrics エンドポイントのポート / Port of the Prometheus /metrics endpoint.") var metricsPort: Int?
    @Option(help: "保存先: lmdb(既定、データフォルダ内)または postgres://… / Where the log lives: lmdb (default, in the data folder) or postgres://user@host:port/db?schema=name.")
    var store: String?
    @Option(help: "ログレベル: error、warning、info、debug / Log level: error, warning, info, debug.") var logLevel = "info"

    func settings() throws(ProgramError) -> HostConfiguration {
        var settings = try HostConfiguration.load(file: config)
        try settings.apply(environment: ProcessInfo.processInfo.environment)
        if let mode {
            guard let parsed = HostConfiguration.Mode(rawValue: mode) else { throw ProgramError(.badConfiguration, "--mode \(mode): development or production") }
            settings.mode = parsed
        }
        if let data { settings.data = data }
        if let host { settings.host = host }
        if let port { settings.port = port }
        if let certificate { settings.certificate = certificate }
        if let key { settings.key = key }
        if let ca { settings.ca = ca }
        if let caKey { settings.caKey = caKey }
        if let metricsPort { settings.metricsPort = metricsPort }
        if let store { settings.store = store }
        return settings
    }

    func run() async throws {
        let settings = try settings()
        guard let level = Logger.Level(rawValue: logLevel) else { throw ProgramError(.badConfiguration, "--log-level \(logLevel)") }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let host = try await PlatformHost(configuration: settings, logger: Logger(label: "renkei.server"))
        try await host.run { port in
            var text = "renkei-server listening on \(settings.host):\(port) (\(settings.mode.rawValue), data \(settings.data))\n"
            if let development = host.development { text += Self.nextSteps(development, created: development.created) }
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }

    static func nextSteps(_ setup: DevelopmentSetup, created: Bool) -> String {
        let p = { (name: String) in setup.profile(name).path }
        let examples = "../shared/careplan-standard/examples"
        return """
        \(created ? "開発用の CA・証明書・利用者設定を作りました / Created a development CA, certificates and profiles:" : "開発用の利用者設定 / Development profiles:")
          \(DevelopmentSetup.identities.map { "\(p($0.name))  \($0.number) \($0.label)" }.joined(separator: "\n  "))
        次に試すこと / Try next (in another terminal; the binaries are in .build/debug):
          renkei register --profile \(p("kyotaku")) --name 連携居宅 --service-kind 43 --prefecture 13
          renkei register --profile \(p("houmon")) --name 連携訪問 --service-kind 11 --prefecture 13
          renkei-admin registrations approve 1310000001 1310000002 --profile \(p("operator"))
          renkei-admin license activate 1310000001 1310000002 --profile \(p("operator"))
          renkei send --profile \(p("kyotaku")) \(examples)/UPPLAN_* \(examples)/UPSIKYU_* \(examples)/UPHOSOKU_*
          renkei inbox --profile \(p("houmon"))
          renkei download 0 --to received --profile \(p("houmon"))   (the ID from inbox)
        The README walks through all twelve steps / README に全手順があります。

        """
    }
}

/// Runs a command's async `run` (on an existential, Swift would pick the synchronous one).
func runAsync(_ command: some AsyncParsableCommand) async throws {
    var command = command
    try await command.run()
}

do {
    var command = try RenkeiServerCommand.parseAsRoot()
    if let command = command as? any AsyncParsableCommand { try await runAsync(command) } else { try command.run() }
} catch let error as ProgramError {
    FileHandle.standardError.write(Data((error.description + "\n").utf8))
    exit(error.code.exitStatus.rawValue)
} catch {
    let status = RenkeiServerCommand.exitCode(for: error)
    let message = RenkeiServerCommand.fullMessage(for: error)
    if status == .success { print(message); exit(0) }
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(status == .validationFailure ? 2 : 1)
}
