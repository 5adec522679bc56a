import RenkeiModel

/// A parsed standard file name (SPEC: ファイル名規約):
/// `<PREFIX>[_<month>]_<sender 10>_<sender kind 2>_<recipient 10>_<recipient kind 2>_<連番 14>.CSV`,
/// or the older v3 form without the two kind codes.
public struct FileName: Hashable, Sendable, CustomStringConvertible {
    /// Which edition of the naming rule the name follows.
    public enum Form: String, Hashable, Sendable {
        /// v4.0/v4.1: with サービス種類コード after each office number.
        case v41
        /// v3 (VOL1156): without kind codes.
        case v3
    }

    /// The file kind (prefix).
    public var kind: FileKind
    /// The month segment as written (`YYYYMM` or `000000`), or `nil` for kinds without one.
    public var monthSegment: String?
    /// The sender's 事業所番号.
    public var sender: OfficeNumber
    /// The sender's サービス種類コード (`nil` in the v3 form).
    public var senderKind: ServiceKindCode?
    /// The recipient's 事業所番号.
    public var recipient: OfficeNumber
    /// The recipient's サービス種類コード (`nil` in the v3 form).
    public var recipientKind: ServiceKindCode?
    /// The 14-digit ファイル連番 as written.
    public var serialText: String
    /// The 4-digit 枝番 of a family image (UPKIHON_IMAGE), else `nil`.
    public var branch: String?
    /// The extension without the dot (`CSV`, or `jpg`/`JPG` for the image).
    public var fileExtension: String
    /// The naming rule's edition.
    public var form: Form

    /// A v4.1 name.
    public init(kind: FileKind, month: YearMonth?, sender: OfficeNumber, senderKind: ServiceKindCode,
                recipient: OfficeNumber, recipientKind: ServiceKindCode, serial: FileSerial) {
        self.kind = kind
        self.monthSegment = month?.description
        self.sender = sender
        self.senderKind = senderKind
        self.recipient = recipient
        self.recipientKind = recipientKind
        self.serialText = serial.rawValue
        self.branch = nil
        self.fileExtension = "CSV"
        self.form = .v41
    }

    init(kind: FileKind, monthSegment: String?, sender: OfficeNumber, senderKind: ServiceKindCode?,
         recipient: OfficeNumber, recipientKind: ServiceKindCode?, serialText: String, branch: String?,
         fileExtension: String, form: Form) {
        self.kind = kind
        self.monthSegment = monthSegment
        self.sender = sender
        self.senderKind = senderKind
        self.recipient = recipient
        self.recipientKind = recipientKind
        self.serialText = serialText
        self.branch = branch
        self.fileExtension = fileExtension
        self.form = form
    }

    /// The service month of the name, or `nil` without a month segment or with `000000`.
    public var month: YearMonth? { monthSegment.flatMap { YearMonth($0) } }
    /// Whether the month segment is `000000` (UPHOSOKU of the 第1表 send unit).
    public var hasZeroMonth: Bool { monthSegment == "000000" }
    /// The 連番, or `nil` when it is not a real date-time (NAME-3).
    public var serial: FileSerial? { FileSerial(rawValue: serialText) }

    /// The name as written: the v4.1 form (or v3, if parsed from one).
    public var rendered: String {
        var parts = [kind.rawValue]
        if let monthSegment { parts.append(monthSegment) }
        parts.append(sender.rawValue)
        if let senderKind { parts.append(senderKind.rawValue) }
        parts.append(recipient.rawValue)
        if let recipientKind { parts.append(recipientKind.rawValue) }
        parts.append(serialText)
        if let branch { parts.append(branch) }
        return parts.joined(separator: "_") + "." + fileExtension
    }

    public var description: String { rendered }

    /// Parses `name` (a file name, not a path). Throws ``FileNameError`` with the reason when it is neither a
    /// v4.1 nor a v3 name of a known kind.
    public static func parse(_ name: String, definition: StandardDefinition = .v41) throws(FileNameError) -> FileName {
        try FileNameParser(definition: definition).parse(name)
    }

    /// Findings about a name that parsed: a v3 form (NAME-2), a 連番 that is not a date-time (NAME-3), the same
    /// office on both ends (NAME-4), and a 実績 sent with kind 43 after the sender (the spec example's slip).
    public func findings(fileLabel: String) -> [Finding] {
        var findings: [Finding] = []
        if form == .v3 {
            findings.append(Finding(file: fileLabel, code: .fileNameV3, level: .warning,
                                    ja: "旧形式（v3、サービス種類コードなし）のファイル名です。v4.1 の形式で送ってください。",
                                    en: "This is a v3 file name (without service kind codes); v4.1 names carry them."))
        }
        if serial == nil {
            findings.append(Finding(file: fileLabel, code: .fileSerial, level: .error,
                                    ja: "ファイル連番「\(serialText)」が日時（YYYYMMDDHHMMSS）として正しくありません。",
                                    en: "The file serial '\(serialText)' is not a valid date-time YYYYMMDDHHMMSS."))
        }
        if sender == recipient {
            findings.append(Finding(file: fileLabel, code: .sameOffice, level: .warning,
                                    ja: "送信元と送信先の事業所番号が同じです（\(sender)）。",
                                    en: "Sender and recipient have the same office number (\(sender))."))
        }
        if kind == .actual || kind == .actualDelete, senderKind == .careManagement {
            findings.append(Finding(file: fileLabel, code: .fileName, level: .warning,
                                    ja: "実績の送信元サービス種類コードが 43（居宅介護支援）です。送信元はサービス事業所のはずです。",
                                    en: "The 実績 file's sender kind is 43 (care management); the sender should be the service office."))
        }
        if kind == .basicInfo, monthSegment == "000000" {
            findings.append(Finding(file: fileLabel, code: .fileName, level: .warning,
                                    ja: "UPKIHON のファイル名に年月 000000 があります（レイアウトでは年月なし）。",
                                    en: "UPKIHON name carries a 000000 month segment; the layout defines none."))
        }
        return findings
    }
}
