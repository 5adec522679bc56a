public import CarePlanStandard
public import RenkeiStore

/// Why the platform refused a command: a stable number from one table (1000–1999; never renumbered, never
/// reused), a message in Japanese and English, and details. A refused command changes no state.
///
/// Numbers of the other tables: cryptography 100–402, store 500–599, zstd 600–699, Merkle 700–799. A
/// store or cryptography error that reaches a caller keeps its own number (`DomainError.store`, `.crypto`).
public struct DomainError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A stable code.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        public var description: String { String(rawValue) }

        /// The sending office is not registered and approved.
        public static let senderNotRegistered = Code(rawValue: 1001)
        /// The recipient office is not registered and approved.
        public static let recipientNotRegistered = Code(rawValue: 1002)
        /// The sending office holds no active licence today.
        public static let senderNotLicensed = Code(rawValue: 1003)
        /// The recipient office holds no active licence today.
        public static let recipientNotLicensed = Code(rawValue: 1004)
        /// An office cannot send to its own 事業所番号.
        public static let sameOffice = Code(rawValue: 1005)
        /// The sender's kind of office does not send this kind of unit (a 居宅 office sends 予定, a service office 実績).
        public static let wrongDirection = Code(rawValue: 1006)
        /// A file name names another sender or recipient than the upload's.
        public static let fileNameMismatch = Code(rawValue: 1007)
        /// A CSV file does not conform to the standard.
        public static let validationFailed = Code(rawValue: 1008)
        /// The files do not form one send unit (连番, month, or an allowed combination of kinds).
        public static let unitMismatch = Code(rawValue: 1009)
        /// An attachment's bytes are not what its name says, or it is too large.
        public static let attachmentInvalid = Code(rawValue: 1010)
        /// The manifest's signature does not verify.
        public static let signatureInvalid = Code(rawValue: 1011)
        /// The signature was made by another office than the sender.
        public static let signerNotSender = Code(rawValue: 1012)
        /// Only the recipient downloads a send unit.
        public static let notRecipient = Code(rawValue: 1013)
        /// Only the sender withdraws a send unit.
        public static let notSender = Code(rawValue: 1014)
        /// The recipient has already downloaded the unit: it can no longer be withdrawn.
        public static let alreadyDownloaded = Code(rawValue: 1015)
        /// No send unit has that number.
        public static let unitNotFound = Code(rawValue: 1016)
        /// The sender withdrew the unit.
        public static let unitWithdrawn = Code(rawValue: 1017)
        /// The unit's files were purged under the retention policy.
        public static let unitPurged = Code(rawValue: 1018)
        /// The office is already registered, or its application is pending.
        public static let alreadyRegistered = Code(rawValue: 1019)
        /// The office has no pending application.
        public static let registrationNotPending = Code(rawValue: 1020)
        /// No office has that 事業所番号.
        public static let officeNotFound = Code(rawValue: 1021)
        /// The caller's role may not do this.
        public static let notAuthorized = Code(rawValue: 1022)
        /// The licence is not in a state that allows this (already active, not suspended, …).
        public static let licenseState = Code(rawValue: 1023)
        /// No certificate has that serial number, or it is already revoked.
        public static let certificateState = Code(rawValue: 1024)
        /// A field is missing, too long or malformed.
        public static let invalidArgument = Code(rawValue: 1025)
        /// The files are not the ones the manifest lists, or the manifest is malformed.
        public static let manifestMismatch = Code(rawValue: 1026)
        /// The idempotency key was used before for a different send unit.
        public static let idempotencyKeyReused = Code(rawValue: 1027)
        /// The command kept meeting concurrent changes; try again.
        public static let busy = Code(rawValue: 1028)
        /// The signer's certificate was revoked, or was not issued to the sender.
        public static let certificateRevoked = Code(rawValue: 1029)
        /// The platform has no key to sign checkpoints with.
        public static let noSigningKey = Code(rawValue: 1030)
        /// The store refused or failed (its own number is in the details).
        public static let storage = Code(rawValue: 1031)
        /// A trusted issuer is already present, or absent when it should be removed.
        public static let issuerState = Code(rawValue: 1032)
        /// A limit was exceeded (message, chunk, files or bytes per unit, concurrent uploads or streams).
        public static let limitExceeded = Code(rawValue: 1033)
        /// The caller's certificate is not (or no longer) acceptable: revoked, expired, or not recognised.
        public static let unauthenticated = Code(rawValue: 1034)
        /// The request's messages came in an order the call does not allow (e.g. file bytes before the header).
        public static let protocolViolation = Code(rawValue: 1035)
        /// The server is shutting down; nothing of this call was stored. Try again.
        public static let unavailable = Code(rawValue: 1036)

        static let messages: [Int: (ja: String, en: String)] = [
            1001: ("送信元の事業所が登録されていません", "the sending office is not registered"),
            1002: ("送信先の事業所が登録されていません", "the recipient office is not registered"),
            1003: ("送信元の事業所のライセンスが有効ではありません", "the sending office has no active licence"),
            1004: ("送信先の事業所のライセンスが有効ではありません", "the recipient office has no active licence"),
            1005: ("自事業所には送信できません", "an office cannot send to itself"),
            1006: ("この事業所の種類からは送信できないデータです", "this office kind does not send this kind of unit"),
            1007: ("ファイル名の事業所番号が送信元・送信先と一致しません", "a file name names another sender or recipient"),
            1008: ("標準仕様に適合しないファイルがあります", "a file does not conform to the standard"),
            1009: ("ファイルが一つの送信単位になっていません", "the files do not form one send unit"),
            1010: ("添付ファイルの内容が拡張子と一致しないか、大きすぎます", "an attachment is not what its name says, or too large"),
            1011: ("電子署名を検証できません", "the signature does not verify"),
            1012: ("電子署名が送信元の事業所のものではありません", "the signature is not the sender's"),
            1013: ("送信先の事業所だけがダウンロードできます", "only the recipient may download"),
            1014: ("送信元の事業所だけが取り下げできます", "only the sender may withdraw"),
            1015: ("ダウンロード済みのため取り下げできません", "already downloaded: it cannot be withdrawn"),
            1016: ("送信データが見つかりません", "no such send unit"),
            1017: ("送信データは取り下げられています", "the send unit was withdrawn"),
            1018: ("保存期間を過ぎたためファイルは削除されています", "the files were purged after the retention period"),
            1019: ("既に登録済みか、申請中です", "already registered, or an application is pending"),
            1020: ("審査中の申請がありません", "no pending application"),
            1021: ("事業所が見つかりません", "no such office"),
            1022: ("この操作の権限がありません", "not permitted for this role"),
            1023: ("ライセンスの状態がこの操作を許しません", "the licence's state does not allow this"),
            1024: ("証明書が見つからないか、既に失効しています", "no such certificate, or already revoked"),
            1025: ("入力が不正です", "invalid input"),
            1026: ("ファイルがマニフェストと一致しません", "the files do not match the manifest"),
            1027: ("この冪等キーは別の送信データに使われています", "the idempotency key was used for another send unit"),
            1028: ("混み合っています。再度お試しください", "busy: try again"),
            1029: ("署名者の証明書が失効しているか、送信元に発行されたものではありません", "the signer's certificate is revoked or not the sender's"),
            1030: ("チェックポイントの署名鍵がありません", "no checkpoint signing key"),
            1031: ("保存に失敗しました", "the store refused or failed"),
            1032: ("信頼する発行者の状態がこの操作を許しません", "the trusted issuer's state does not allow this"),
            1033: ("上限を超えています", "a limit was exceeded"),
            1034: ("証明書が受け付けられません（失効・期限切れ・発行元不明）", "the certificate is not accepted (revoked, expired or unknown issuer)"),
            1035: ("要求の順序が正しくありません", "the request's messages are out of order"),
            1036: ("サーバーが停止中です。何も保存されていません。再度お試しください", "the server is shutting down; nothing was stored; try again"),
        ]

        static let names: [Int: String] = [
            1001: "senderNotRegistered",
            1002: "recipientNotRegistered",
            1003: "senderNotLicensed",
            1004: "recipientNotLicensed",
            1005: "sameOffice",
            1006: "wrongDirection",
            1007: "fileNameMismatch",
            1008: "validationFailed",
            1009: "unitMismatch",
            1010: "attachmentInvalid",
            1011: "signatureInvalid",
            1012: "signerNotSender",
            1013: "notRecipient",
            1014: "notSender",
            1015: "alreadyDownloaded",
            1016: "unitNotFound",
            1017: "unitWithdrawn",
            1018: "unitPurged",
            1019: "alreadyRegistered",
            1020: "registrationNotPending",
            1021: "officeNotFound",
            1022: "notAuthorized",
            1023: "licenseState",
            1024: "certificateState",
            1025: "invalidArgument",
            1026: "manifestMismatch",
            1027: "idempotencyKeyReused",
            1028: "busy",
            1029: "certificateRevoked",
            1030: "noSigningKey",
            1031: "storage",
            1032: "issuerState",
            1033: "limitExceeded",
            1034: "unauthenticated",
            1035: "protocolViolation",
            1036: "unavailable",
        ]

        /// The code's name, as API.md lists it (e.g. "recipientNotRegistered").
        public var name: String { Self.names[rawValue] ?? "code\(rawValue)" }
        /// The message in Japanese.
        public var japanese: String { Self.messages[rawValue]?.ja ?? "エラー" }
        /// The message in English.
        public var english: String { Self.messages[rawValue]?.en ?? "error" }
        /// Every code, in order (for the wire's error table and its test).
        public static var all: [Code] { messages.keys.sorted().map(Code.init(rawValue:)) }
    }

    /// What went wrong.
    public let code: Code
    /// Details: which file, office, value.
    public let detail: String
    /// The underlying store error, when `code` is `.storage`.
    public let storeError: StoreError?
    /// For `.validationFailed`: the standard's findings that refused the files (errors first, at most
    /// `maximumFindings`), each with file, line and column.
    public let findings: [Finding]

    /// The most findings a refusal carries (a file with thousands of errors is refused with the first ones).
    public static let maximumFindings = 100

    /// A refusal with `code`.
    public init(_ code: Code, _ detail: String, findings: [Finding] = []) {
        self.code = code
        self.detail = detail
        self.storeError = nil
        self.findings = Array(findings.prefix(Self.maximumFindings))
    }

    /// A store error passed on to the caller.
    public init(store error: StoreError) {
        code = .storage
        detail = error.description
        storeError = error
        findings = []
    }

    /// "[1005] 自事業所には送信できません / an office cannot send to itself: 1310000001"
    public var description: String { "[\(code.rawValue)] \(code.japanese) / \(code.english): \(detail)" }
}
