import ArgumentParser
import Foundation
import Logging
import RenkeiModel
import RenkeiOffice
import RenkeiUI

struct UI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ui",
        abstract: "The office's screens in the browser / 画面(受信一覧・受信データ詳細確認・送信済一覧)をブラウザで開く",
        discussion: """
        Serves a local web application on 127.0.0.1 only, under a random session token: open the address it prints.
        127.0.0.1 だけで待ち受け、起動時に表示するアドレス(セッショントークン付き)でだけ開けます。Ctrl-C で終了します。
        """)
    @OptionGroup var options: ProfileOptions
    @Option(help: "待ち受けるポート(0: 空いているポート) / Port on 127.0.0.1 (0: any free port).") var port = 8620
    @Option(help: "「すべて保存」の保存先フォルダ / Folder that 'save all' writes received files into.") var inbox = "renkei-inbox"

    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port 0–65535") }
    }

    func run() async throws {
        let profile = try ClientProfile(folder: ClientProfile.folder(options.profile))
        let client = try profile.connect()
        let app = try await OfficeWebApp(client: client, office: profile.settings.office, inboxFolder: URL(fileURLWithPath: inbox))
        var logger = Logger(label: "renkei.ui")
        logger.logLevel = .warning
        try await app.run(port: port, logger: logger) { bound in
            FileHandle.standardOutput.write(Data("renkei ui: http://127.0.0.1:\(bound)/\(app.token)/inbox を開いてください / open it in a browser (Ctrl-C stops)\n".utf8))
        }
        await client.close()
    }
}
