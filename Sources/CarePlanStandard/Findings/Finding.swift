/// Whether a finding stops a file from being accepted.
public enum FindingLevel: String, Hashable, Comparable, Sendable, Codable {
    /// The file (or send unit) does not conform; the client refuses to send it, the server refuses it.
    case error
    /// Worth a look; the file is still accepted.
    case warning

    public static func < (lhs: FindingLevel, rhs: FindingLevel) -> Bool { lhs == .error && rhs == .warning }
}

/// A stable finding code: a rule id from layouts.json `checkRules` (ENC-1, CSV-4, NAME-1, MONTH-1, FLD-1, T7-1,
/// UNIT-2, KEY-1, …), or one of the codes this module adds (LIMIT-1 … LIMIT-5, IO-1, OFFICE-1).
public struct FindingCode: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The code as printed.
    public let rawValue: String
    /// The code `rawValue`.
    public init(rawValue: String) { self.rawValue = rawValue }
    /// The code `rawValue`.
    public init(_ rawValue: String) { self.rawValue = rawValue }

    public static func < (lhs: FindingCode, rhs: FindingCode) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { rawValue }

    /// ENC-1: MS932 decoding without 外字.
    public static let encoding = FindingCode("ENC-1")
    /// CSV-1: quoting.
    public static let quoting = FindingCode("CSV-1")
    /// CSV-2: free text should be quoted.
    public static let unquotedText = FindingCode("CSV-2")
    /// CSV-3: records end with CRLF.
    public static let lineEnding = FindingCode("CSV-3")
    /// CSV-4: column count.
    public static let columnCount = FindingCode("CSV-4")
    /// VER-1: one CSV version per file.
    public static let version = FindingCode("VER-1")
    /// VER-2: the v4.1 version value.
    public static let versionValue = FindingCode("VER-2")
    /// NAME-1: the v4.1 file name.
    public static let fileName = FindingCode("NAME-1")
    /// NAME-2: a v3 file name.
    public static let fileNameV3 = FindingCode("NAME-2")
    /// NAME-3: the 連番 is a real date-time.
    public static let fileSerial = FindingCode("NAME-3")
    /// NAME-4: sender and receiver differ.
    public static let sameOffice = FindingCode("NAME-4")
    /// MONTH-1: one service month per file, equal to the name's.
    public static let month = FindingCode("MONTH-1")
    /// MONTH-2: UPHOSOKU 000000 / 00000000 rule.
    public static let supplementMonth = FindingCode("MONTH-2")
    /// FLD-1: format, length, required.
    public static let field = FindingCode("FLD-1")
    /// FLD-2: required on a lower-confidence layout.
    public static let fieldUncertainRequired = FindingCode("FLD-2")
    /// FLD-3: code lists.
    public static let fieldCode = FindingCode("FLD-3")
    /// T6-1: 第6表 service date in the month.
    public static let serviceDate = FindingCode("T6-1")
    /// T6-2: 福祉用具貸与 needs a TAIS or 届出 code.
    public static let welfareEquipment = FindingCode("T6-2")
    /// T6-3: columns only for some services.
    public static let table6Optional = FindingCode("T6-3")
    /// T6-4: 更新業者コード is the sender.
    public static let updater = FindingCode("T6-4")
    /// T6-5: service kinds out of scope.
    public static let serviceKindScope = FindingCode("T6-5")
    /// T6-6: 実績 from one office and kind.
    public static let actualSender = FindingCode("T6-6")
    /// T7-1: one 全合計 row per user.
    public static let grandTotal = FindingCode("T7-1")
    /// T7-2: subtotal rows.
    public static let subtotal = FindingCode("T7-2")
    /// T7-3: values on special rows.
    public static let specialRowValues = FindingCode("T7-3")
    /// T7-4: 第7表 arithmetic.
    public static let arithmetic = FindingCode("T7-4")
    /// KEY-1: a child record without its parent.
    public static let parentMissing = FindingCode("KEY-1")
    /// KEY-2: users present in one file of the usage unit and not another.
    public static let userMismatch = FindingCode("KEY-2")
    /// UNIT-1: files sharing a 連番 form one unit (same parties, same month, one file per kind).
    public static let unit = FindingCode("UNIT-1")
    /// UNIT-2: the combination of files is an allowed one.
    public static let combination = FindingCode("UNIT-2")
    /// DLT-1: every column of a deletion file is required.
    public static let deletion = FindingCode("DLT-1")
    /// OFFICE-1 (this module's): rows that name the sending office name the file's sender — UP1KYO's 介護支援事業者コード,
    /// DLTJSK's サービス事業者コード and サービス種類コード (an office deletes only its own 実績).
    public static let rowSender = FindingCode("OFFICE-1")
    /// LIMIT-1: the file is larger than the limit.
    public static let fileTooLarge = FindingCode("LIMIT-1")
    /// LIMIT-2: a record is longer than the limit.
    public static let recordTooLong = FindingCode("LIMIT-2")
    /// LIMIT-3: too many findings in one file; the rest are counted, not listed.
    public static let tooManyFindings = FindingCode("LIMIT-3")
    /// LIMIT-4: too many files in one check.
    public static let tooManyFiles = FindingCode("LIMIT-4")
    /// LIMIT-5: too many distinct keys (users) in one file, or in one check, to keep them all for the send-unit
    /// checks; keys past the limit are not cross-checked.
    public static let tooManyKeys = FindingCode("LIMIT-5")
    /// IO-1: the file could not be read.
    public static let unreadable = FindingCode("IO-1")
}

/// One problem found in a file or a send unit: where, which rule, how bad, and what to do, in Japanese and English.
public struct Finding: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The file's name (not a path), or the send unit's 連番 for unit findings without one file.
    public var file: String
    /// The 1-based line where the record or field starts (a record can span lines), or `nil` for the whole file.
    public var line: Int?
    /// The 1-based column No. of the layout, or `nil`.
    public var column: Int?
    /// The column's 日本語名称, or `nil`.
    public var columnName: String?
    /// The stable code.
    public var code: FindingCode
    /// Error or warning.
    public var level: FindingLevel
    /// The message in Japanese.
    public var messageJA: String
    /// The message in English.
    public var messageEN: String

    /// A finding.
    public init(file: String, line: Int? = nil, column: Int? = nil, columnName: String? = nil, code: FindingCode,
                level: FindingLevel, ja: String, en: String) {
        self.file = file
        self.line = line
        self.column = column
        self.columnName = columnName
        self.code = code
        self.level = level
        self.messageJA = ja
        self.messageEN = en
    }

    public var description: String {
        "\(file):\(line.map { String($0) } ?? "-"):\(column.map { String($0) } ?? "-") \(level.rawValue) \(code) \(messageEN)"
    }
}
