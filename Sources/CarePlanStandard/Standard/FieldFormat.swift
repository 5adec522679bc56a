/// The format of a column, from layouts.json's `formats` vocabulary.
public enum FieldFormat: Hashable, Sendable {
    /// `YYYYMM`.
    case yearMonth
    /// `YYYYMM` or `000000`.
    case yearMonthOrZeros
    /// `YYYYMMDD`, a real calendar date.
    case date
    /// `YYYYMMDD` or `00000000`.
    case dateOrZeros
    /// `HHMM`.
    case time
    /// `HHMM` or `9999` (service without a time).
    case timeOr9999
    /// Digits with an optional leading `-`.
    case integer
    /// `99.99`.
    case decimal
    /// 保険者番号: 6 digits.
    case insurerNumber
    /// 被保険者番号: 10 digits, or `H` + 9 digits.
    case insuredNumber
    /// 事業所番号: 10 digits.
    case officeNumber
    /// 事業所番号, or `9999999999` on the 第7表 全合計 row.
    case officeNumberOrAllNines
    /// サービス種類コード: 2 characters `[0-9A-Z]`.
    case serviceKind
    /// サービスコード: 6 characters, kind (2) + item (4).
    case serviceCode
    /// サービスコード or a 第7表 row code (`<kind>AAAA`, `<kind>EEEE`, `<kind>ZZZZ`, `999999`).
    case serviceCodeOrRowCode
    /// TAIS code or 福祉用具届出コード: 5 digits, hyphen, 6 digits.
    case taisCode
    /// 31 characters of `0`/`1`, or empty.
    case flags31
    /// 郵便番号 `NNN-NNNN`.
    case postalCode
    /// 電話番号 (digits and hyphens).
    case phone
    /// Free text (length ― in the layout): quoted, may hold commas and line breaks.
    case text
    /// One of the codes of the named code list.
    case code(list: String)
    /// 識別子 (使用しない): left empty.
    case unused

    /// The format named `name` in layouts.json, or `nil` for a name this code does not know.
    public init?(name: String) {
        switch name {
        case "YYYYMM": self = .yearMonth
        case "YYYYMM_or_000000": self = .yearMonthOrZeros
        case "YYYYMMDD": self = .date
        case "YYYYMMDD_or_00000000": self = .dateOrZeros
        case "HHMM": self = .time
        case "HHMM_or_9999": self = .timeOr9999
        case "integer": self = .integer
        case "decimal_99.99": self = .decimal
        case "insurerNo": self = .insurerNumber
        case "insuredNo": self = .insuredNumber
        case "officeNo": self = .officeNumber
        case "officeNo_or_ALL9": self = .officeNumberOrAllNines
        case "serviceKind": self = .serviceKind
        case "serviceCode": self = .serviceCode
        case "serviceCode_or_rowCode": self = .serviceCodeOrRowCode
        case "taisCode": self = .taisCode
        case "flags31": self = .flags31
        case "postalCode": self = .postalCode
        case "phone": self = .phone
        case "text": self = .text
        case "unused": self = .unused
        default:
            guard name.hasPrefix("code:") else { return nil }
            self = .code(list: String(name.dropFirst(5)))
        }
    }

    /// How the expected format reads to a user, in Japanese and in English.
    public var expectation: (ja: String, en: String) {
        switch self {
        case .yearMonth: return ("YYYYMM（年月6桁）", "YYYYMM (6 digits)")
        case .yearMonthOrZeros: return ("YYYYMM または 000000", "YYYYMM or 000000")
        case .date: return ("YYYYMMDD（実在する日付）", "YYYYMMDD (a real date)")
        case .dateOrZeros: return ("YYYYMMDD または 00000000", "YYYYMMDD or 00000000")
        case .time: return ("HHMM（時分4桁）", "HHMM (4 digits)")
        case .timeOr9999: return ("HHMM または 9999", "HHMM or 9999")
        case .integer: return ("半角数字", "digits")
        case .decimal: return ("99.99 形式", "99.99")
        case .insurerNumber: return ("保険者番号（半角数字6桁）", "insurer number (6 digits)")
        case .insuredNumber: return ("被保険者番号（数字10桁、または H＋数字9桁）", "insured number (10 digits, or H + 9 digits)")
        case .officeNumber: return ("事業所番号（半角数字10桁）", "office number (10 digits)")
        case .officeNumberOrAllNines: return ("事業所番号（半角数字10桁）または 9999999999", "office number (10 digits) or 9999999999")
        case .serviceKind: return ("サービス種類コード（英数字2桁）", "service kind (2 characters 0-9A-Z)")
        case .serviceCode: return ("サービスコード（英数字6桁）", "service code (6 characters)")
        case .serviceCodeOrRowCode: return ("サービスコード または 集計行コード", "service code or a total-row code")
        case .taisCode: return ("NNNNN-NNNNNN（12桁）", "NNNNN-NNNNNN (12 characters)")
        case .flags31: return ("0/1 の31桁", "31 characters of 0/1")
        case .postalCode: return ("NNN-NNNN", "NNN-NNNN")
        case .phone: return ("半角数字とハイフン", "digits and hyphens")
        case .text: return ("文字列", "text")
        case .code(let list): return ("コード表「\(list)」の値", "a code from list '\(list)'")
        case .unused: return ("空欄（使用しない）", "empty (unused)")
        }
    }
}
