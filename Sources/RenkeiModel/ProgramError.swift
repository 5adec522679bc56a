/// Why a program (`renkei`, `renkei-admin`, `renkei-server`) stopped before or around a call to the
/// platform: a stable number from one table (2000–2999; never renumbered, never reused), a message in
/// Japanese and English, details, and the documented exit status. A refusal by the platform itself keeps
/// its own number (1000s, 500s) and exits with `ExitStatus.refused`.
public struct ProgramError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A stable code.
    public struct Code: RawRepresentable, Hashable, Sendable, CaseIterable {
        public var rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }

        /// A file or folder named on the command line does not exist.
        public static let fileNotFound = Code(rawValue: 2001)
        /// A file or folder exists but cannot be read or listed.
        public static let unreadable = Code(rawValue: 2002)
        /// A file cannot be written (permissions, a read-only folder).
        public static let unwritable = Code(rawValue: 2003)
        /// The disk is full: nothing was left half-written.
        public static let diskFull = Code(rawValue: 2004)
        /// The configuration (file, environment or flags) is not valid.
        public static let badConfiguration = Code(rawValue: 2005)
        /// No client profile (key, certificate, platform CA) is set up in that folder.
        public static let noProfile = Code(rawValue: 2006)
        /// The profile's key, certificate or CA file is not valid, or they do not belong together.
        public static let badProfile = Code(rawValue: 2007)
        /// The password does not open the PKCS#12 file.
        public static let wrongPassword = Code(rawValue: 2008)
        /// The platform server cannot be reached.
        public static let serverUnreachable = Code(rawValue: 2009)
        /// The server's certificate is not one the platform CA issued for that address.
        public static let serverUntrusted = Code(rawValue: 2010)
        /// The files given do not form send units (names, senders, 連番).
        public static let badSendFiles = Code(rawValue: 2011)
        /// A downloaded file's hash or the sender's signature does not verify: nothing was kept.
        public static let downloadUnverified = Code(rawValue: 2012)
        /// An audit export does not verify (a proof, the checkpoint's signature or a sender's signature).
        public static let auditUnverified = Code(rawValue: 2013)
        /// An audit export file is not in the export format.
        public static let auditMalformed = Code(rawValue: 2014)
        /// The store could not be opened or checked (details name the store's own error).
        public static let storeFailed = Code(rawValue: 2015)
        /// A store check found a difference (log, Merkle root, or a projection against its rebuild).
        public static let storeMismatch = Code(rawValue: 2016)
        /// Production mode needs explicit certificates and keys.
        public static let productionNeedsCertificates = Code(rawValue: 2017)
        /// An argument is outside its allowed range or form.
        public static let badArgument = Code(rawValue: 2018)
        /// Another process holds the folder (a server on the store, a sync daemon on the outbox).
        public static let folderBusy = Code(rawValue: 2019)
        /// The server refused this profile's certificate in the handshake (revoked, expired, or from another CA).
        public static let certificateRefused = Code(rawValue: 2020)
        /// The files were saved whole, but the platform did not record the download (it stays 未読 there).
        public static let acknowledgementNotRecorded = Code(rawValue: 2021)

        public static let allCases: [Code] = [
            .fileNotFound, .unreadable, .unwritable, .diskFull, .badConfiguration, .noProfile, .badProfile, .wrongPassword,
            .serverUnreachable, .serverUntrusted, .badSendFiles, .downloadUnverified, .auditUnverified, .auditMalformed,
            .storeFailed, .storeMismatch, .productionNeedsCertificates, .badArgument, .folderBusy, .certificateRefused,
            .acknowledgementNotRecorded,
        ]

        /// The message in Japanese.
        public var japanese: String {
            switch self {
            case .fileNotFound: "ファイルまたはフォルダが見つかりません"
            case .unreadable: "ファイルまたはフォルダを読み込めません"
            case .unwritable: "ファイルを書き込めません"
            case .diskFull: "ディスクの空き容量が不足しています(書きかけのファイルは残していません)"
            case .badConfiguration: "設定が正しくありません"
            case .noProfile: "このフォルダに利用者設定(鍵・証明書・基盤の CA)がありません"
            case .badProfile: "利用者設定の鍵・証明書・CA が正しくないか、組み合わせが違います"
            case .wrongPassword: "パスワードが違うため PKCS#12 ファイルを開けません"
            case .serverUnreachable: "連携基盤のサーバーに接続できません"
            case .serverUntrusted: "サーバーの証明書が基盤の CA によるものではないか、接続先の名前と一致しません"
            case .badSendFiles: "送信ファイルが送信単位になっていません"
            case .downloadUnverified: "受信ファイルのハッシュまたは送信元の署名を検証できません(何も保存していません)"
            case .auditUnverified: "監査エクスポートの検証に失敗しました"
            case .auditMalformed: "監査エクスポートの形式が正しくありません"
            case .storeFailed: "データストアを開けないか、検査できません"
            case .storeMismatch: "データストアの検査で不一致が見つかりました"
            case .productionNeedsCertificates: "本番モードでは証明書と鍵の指定が必要です"
            case .badArgument: "引数が正しくありません"
            case .folderBusy: "別のプロセスがこのフォルダを使用中です"
            case .certificateRefused: "サーバーがこの利用者の証明書を受け付けません(失効・期限切れ・別の CA)"
            case .acknowledgementNotRecorded: "ファイルは検証して保存しましたが、連携基盤が受信を記録できませんでした(未読のままです。後でもう一度ダウンロードしてください)"
            default: "不明なエラー"
            }
        }

        /// The message in English.
        public var english: String {
            switch self {
            case .fileNotFound: "No such file or folder"
            case .unreadable: "The file or folder cannot be read"
            case .unwritable: "The file cannot be written"
            case .diskFull: "The disk is full (nothing was left half-written)"
            case .badConfiguration: "The configuration is not valid"
            case .noProfile: "No client profile (key, certificate, platform CA) in this folder"
            case .badProfile: "The profile's key, certificate or CA is not valid, or they do not belong together"
            case .wrongPassword: "The password does not open the PKCS#12 file"
            case .serverUnreachable: "The platform server cannot be reached"
            case .serverUntrusted: "The server's certificate was not issued by the platform CA for that address"
            case .badSendFiles: "The files do not form send units"
            case .downloadUnverified: "A received file's hash or the sender's signature does not verify (nothing was kept)"
            case .auditUnverified: "The audit export does not verify"
            case .auditMalformed: "The audit export is not in the export format"
            case .storeFailed: "The store cannot be opened or checked"
            case .storeMismatch: "The store check found a difference"
            case .productionNeedsCertificates: "Production mode needs explicit certificates and keys"
            case .badArgument: "An argument is not valid"
            case .folderBusy: "Another process is using this folder"
            case .certificateRefused: "The server refused this profile's certificate (revoked, expired, or from another CA)"
            case .acknowledgementNotRecorded: "The files were verified and saved, but the platform could not record the download (it stays unread there; download again later)"
            default: "Unknown error"
            }
        }

        /// The exit status a program ends with for this code.
        public var exitStatus: ExitStatus {
            switch self {
            case .serverUnreachable, .serverUntrusted, .certificateRefused: .network
            case .acknowledgementNotRecorded: .refused
            case .downloadUnverified, .auditUnverified, .storeMismatch: .verificationFailed
            case .badArgument, .badConfiguration, .productionNeedsCertificates: .usage
            default: .localInput
            }
        }
    }

    /// The documented exit statuses of the programs.
    public struct ExitStatus: RawRepresentable, Hashable, Sendable {
        public var rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }
        /// Done.
        public static let success = ExitStatus(rawValue: 0)
        /// `check` found errors in the files.
        public static let findings = ExitStatus(rawValue: 1)
        /// The command line or the configuration is not valid.
        public static let usage = ExitStatus(rawValue: 2)
        /// A local file, folder, profile or disk problem.
        public static let localInput = ExitStatus(rawValue: 3)
        /// The server cannot be reached or is not trusted.
        public static let network = ExitStatus(rawValue: 4)
        /// The platform refused the request (its code is printed).
        public static let refused = ExitStatus(rawValue: 5)
        /// Something did not verify (a download, an audit export, a store).
        public static let verificationFailed = ExitStatus(rawValue: 6)
    }

    /// The code.
    public let code: Code
    /// What exactly was wrong (a path, a value).
    public let detail: String

    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    /// `[2001] ファイルまたはフォルダが見つかりません / No such file or folder: detail`
    public var description: String { "[\(code.rawValue)] \(code.japanese) / \(code.english): \(detail)" }
}
