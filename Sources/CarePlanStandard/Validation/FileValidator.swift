import RenkeiModel

/// Checks one file's records as they stream by: syntax, encoding, column count, every field against its
/// layout, and the rules of its kind. Keeps only what later rules need (keys, 第7表 sums), never the records.
struct FileValidator {
    let definition: StandardDefinition
    let layout: Layout?
    /// The layout's column count, and the kind the records' keys point to (its first parent kind): what the
    /// per-record path needs of `layout`, read without copying the layout for every record.
    let columnCount: Int?
    let keyParent: FileKind?
    let name: FileName?
    let rules: [FieldRule]
    let columns: ColumnIndex
    /// Which kind rules apply, decided once per file rather than by comparing kind names on every record.
    let kindRules: KindRules
    var sink: FindingSink
    var facts: FileFacts
    var table7: Table7Check
    var satellites = SatelliteTally()
    /// Column 1 of the first record (VER-1).
    var version: [UInt8]?
    /// The month every record must carry: the name's, else the first record's.
    var fileMonth: [UInt8]?
    let senderOffice: [UInt8]?
    let senderKind: [UInt8]?
    /// The key bytes of the previous record, and a scratch buffer (see `sameKeyAsLastRecord`).
    var previousKeyBytes: [UInt8] = []
    /// The free-text columns already reported as unquoted (CSV-2, once per column): checked before the sink's
    /// own once-only set, so a file of unquoted text does not format a key string for every field.
    var unquotedTextReported: Set<Int> = []
    /// The last サービス種類 looked up in ``StandardDefinition/serviceKindsInScope`` and the answer (T6-5): a
    /// file's rows mostly repeat one kind, so the set is asked once per change of kind, not once per row.
    var lastScopeLookup: (kind: ServiceKindBytes, inScope: Bool)?
    /// Set when the file could not be read (so it is not also reported as empty).
    var unreadable = false
    /// The most keys (users) the file keeps for the send-unit checks.
    let keyLimit: KeyLimit

    /// A validator for one file; `plan` is its kind's prepared layout (built here when `nil`).
    init(label: String, name: FileName?, kind: FileKind?, definition: StandardDefinition, findingLimit: Int,
         keyLimit: KeyLimit = KeyLimit(count: StandardChecker.defaultMaxKeysPerFile, scope: .file), plan: LayoutPlan? = nil) {
        self.definition = definition
        self.keyLimit = keyLimit
        self.name = name
        let plan = plan ?? kind.flatMap { definition.layoutPlans[$0] }
        let layout = plan?.layout
        self.layout = layout
        columnCount = layout?.columns.count
        keyParent = layout?.parentKinds.first
        rules = plan?.rules ?? []
        columns = plan?.columns ?? ColumnIndex(layout: nil)
        kindRules = plan?.kindRules ?? KindRules(kind: nil)
        table7 = Table7Check(amountColumn: columns.amount.flatMap { layout?.columns[safe: $0] },
                             codeColumn: columns.serviceCode.flatMap { layout?.columns[safe: $0] }, maxUsers: keyLimit.count)
        sink = FindingSink(file: label, limit: findingLimit)
        facts = FileFacts(label: label, name: name, kind: kind)
        if let name, name.kind != .supplement, let segment = name.monthSegment, segment != "000000" {
            fileMonth = Array(segment.utf8)
        }
        senderOffice = name.map { Array($0.sender.rawValue.utf8) }
        senderKind = name?.senderKind.map { Array($0.rawValue.utf8) }
    }

    mutating func validate(_ record: CSVRecord) {
        facts.recordCount += 1
        let line = record.line
        for issue in record.issues {
            let (ja, en): (String, String)
            switch issue.kind {
            case .unterminatedQuote: (ja, en) = ("引用符（\"）が閉じられないままファイルが終わっています。", "A quoted field is never closed before the end of the file.")
            case .textAfterClosingQuote: (ja, en) = ("閉じ引用符の後にカンマまたは改行以外の文字があります（\" は \"\" と書きます）。", "Characters follow a closing quote; a quote inside a field is written \"\".")
            case .quoteInUnquotedField: (ja, en) = ("引用符で囲まれていない項目に \" があります。", "A '\"' appears inside an unquoted field.")
            }
            sink.add(line: issue.line, column: layout?.columns[safe: issue.column - 1], code: .quoting, level: .error, ja: ja, en: en)
        }
        if record.omittedIssueCount > 0 {
            sink.add(line: line, column: nil, code: .quoting, level: .error,
                     ja: "このレコードには引用符（\"）の誤りがほかに \(record.omittedIssueCount) 件あります（表示していません）。",
                     en: "This record has \(record.omittedIssueCount) more quoting problems (not listed).")
        }
        if record.isTruncated {
            sink.add(line: line, column: nil, code: .recordTooLong, level: .error,
                     ja: "1レコードが長すぎます（上限を超えた分は検査していません）。", en: "The record is longer than the limit; the rest was not checked.")
            return
        }
        switch record.lineEnding {
        case .crlf: break
        case .lf: sink.addOnce(key: "CSV-3", line: line, column: nil, code: .lineEnding, level: .warning,
                               ja: "改行が LF です（CRLF を推奨）。以降の同じ指摘は省略します。", en: "Records end with LF, not CRLF (reported once per file).")
        case .cr: sink.addOnce(key: "CSV-3", line: line, column: nil, code: .lineEnding, level: .warning,
                               ja: "改行が CR のみです（CRLF を推奨）。以降の同じ指摘は省略します。", en: "Records end with a bare CR, not CRLF (reported once per file).")
        case .none: sink.addOnce(key: "CSV-3-end", line: line, column: nil, code: .lineEnding, level: .warning,
                                 ja: "最終レコードの後に改行（CRLF）がありません。", en: "The last record has no CRLF after it.")
        }
        if record.isBlank {
            sink.add(line: line, column: nil, code: .columnCount, level: .warning, ja: "空行があります。", en: "Blank line.")
            return
        }
        guard let columnCount else { return }
        guard record.fieldCount == columnCount, record.fields.count == columnCount else {
            if let layout {
                sink.add(line: line, column: nil, code: .columnCount, level: .error,
                         ja: "項目数が \(record.fieldCount) です。\(layout.kind)（\(layout.titleJA)）は \(layout.columns.count) 項目です。",
                         en: "The record has \(record.fieldCount) fields; \(layout.kind) has \(layout.columns.count).")
            }
            return
        }
        record.storage.withUnsafeBufferPointer { storage in
            record.fields.withUnsafeBufferPointer { fieldList in
                var fields = FieldValues(storage: storage, fields: fieldList, recordLine: line,
                                         mayHaveHighByte: record.mayHaveHighByte)
                checkFields(&fields)
                checkKindRules(&fields)
            }
        }
    }

    private mutating func checkFields(_ fields: inout FieldValues) {
        rules.withUnsafeBufferPointer { rules in checkFields(&fields, rules) }
    }

    private mutating func checkFields(_ fields: inout FieldValues, _ rules: UnsafeBufferPointer<FieldRule>) {
        for index in 0..<rules.count {
            let value = fields[index]
            // One scan says whether the field is plain ASCII; only a field with high bytes is decoded (ENC-1), and
            // the rule is told the answer rather than scanning again.
            let hasHighByte = fields.mayHaveHighByte(index) && MS932.hasHighByte(value)
            if hasHighByte, let problem = MS932.problem(in: value) {
                fields.markBad(index)
                sink.add(line: fields.line(of: index), column: rules[index].column, code: .encoding, level: .error,
                         ja: Self.encodingMessage(problem).ja, en: Self.encodingMessage(problem).en)
                continue
            }
            let rule = rules[index]
            if let problem = rule.check(value, hasNonASCII: hasHighByte) {
                fields.markBad(index)
                sink.add(line: fields.line(of: index), column: rule.column, code: problem.code, level: problem.level,
                         ja: "\(rule.column.nameJA)（No.\(rule.column.number)）: \(rule.messageJA(problem, value))",
                         en: "\(rule.column.key) (No.\(rule.column.number)): \(rule.messageEN(problem, value))")
            } else if rule.isText, !value.isEmpty, !fields.isQuoted(index), unquotedTextReported.insert(index).inserted {
                sink.addOnce(key: "CSV-2/\(index)", line: fields.line(of: index), column: rule.column, code: .unquotedText,
                             level: .warning, ja: "自由記述項目は \" で囲んでください（この列の以降の同じ指摘は省略）。",
                             en: "Free-text fields should be enclosed in double quotes (reported once per column).")
            }
        }
    }
}

extension FileValidator {
    /// The ENC-1 message for `problem` (formatted only when the finding is listed).
    static func encodingMessage(_ problem: MS932Problem) -> (ja: String, en: String) {
        let position = problem.offset + 1
        switch problem.kind {
        case .gaiji: return ("外字（0x\(problem.hex)）が含まれています（項目内 \(position) バイト目）。MS932 の文字に置き換えてください。",
                             "A 外字 (user-defined character, 0x\(problem.hex)) at byte \(position) of the field; replace it with an MS932 character.")
        case .truncated: return ("項目の末尾で2バイト文字が途切れています（0x\(problem.hex)、\(position) バイト目）。",
                                 "A double-byte character is cut off at the end of the field (0x\(problem.hex), byte \(position)).")
        case .invalid: return ("MS932（Shift_JIS）として読めないバイト 0x\(problem.hex) があります（項目内 \(position) バイト目）。",
                               "Bytes 0x\(problem.hex) at byte \(position) of the field do not decode as MS932 (Shift_JIS).")
        }
    }
}

/// What a file's validator needs from its layout, prepared once per kind: the field rules (code lists as
/// bytes), the indices of the columns the kind rules use, and which kind rules apply. The definition prepares one
/// per kind when it loads (``StandardDefinition/layoutPlans``), so no check prepares them again.
struct LayoutPlan: Sendable {
    let layout: Layout
    let rules: [FieldRule]
    let columns: ColumnIndex
    let kindRules: KindRules

    init(layout: Layout, codeLists: [String: [String: String]]) {
        self.layout = layout
        rules = layout.columns.map { FieldRule(column: $0, layout: layout, codeLists: codeLists) }
        columns = ColumnIndex(layout: layout)
        kindRules = KindRules(kind: layout.kind)
    }
}

/// Which of the kind rules (``FileValidator/checkKindRules(_:)``) apply to a file of one kind.
struct KindRules: Sendable {
    /// MONTH-1 on 対象年月 (UPPLAN, UPJSK, UPSIKYU).
    let checksTargetMonth: Bool
    /// MONTH-1 on 削除対象年月 (DLTPLAN, DLTJSK).
    let checksDeleteTargetMonth: Bool
    /// UPHOSOKU: MONTH-2 instead of the key collection.
    let isSupplement: Bool
    /// DLT…: no keys are collected.
    let isDeletion: Bool
    /// 第6表 (UPPLAN, UPJSK): T6-1 … T6-6.
    let isTable6: Bool
    /// UPJSK: T6-6.
    let isActual: Bool
    /// UPSIKYU: 第7表.
    let isUsageAnnex: Bool
    /// UP1KYO: OFFICE-1 on 介護支援事業者コード.
    let isPlan1: Bool
    /// DLTJSK: OFFICE-1 on サービス事業者コード and サービス種類コード.
    let isActualDelete: Bool

    init(kind: FileKind?) {
        checksTargetMonth = kind == .usagePlan || kind == .actual || kind == .usageAnnex
        checksDeleteTargetMonth = kind == .usagePlanDelete || kind == .actualDelete
        isSupplement = kind == .supplement
        isDeletion = kind?.isDeletion ?? false
        isTable6 = kind?.isTable6 ?? false
        isActual = kind == .actual
        isUsageAnnex = kind == .usageAnnex
        isPlan1 = kind == .plan1
        isActualDelete = kind == .actualDelete
    }
}

/// A record's field values as byte buffers, with which ones failed their field check (so later rules skip them).
/// A view of the record's buffers, valid while the validator handles the record.
struct FieldValues {
    let storage: UnsafeBufferPointer<UInt8>
    let fields: UnsafeBufferPointer<CSVRecord.Field>
    let recordLine: Int
    /// ``CSVRecord/mayHaveHighByte``.
    private let highByteBits: UInt64
    private var bad: UInt64 = 0
    private var badOverflow: Set<Int> = []

    init(storage: UnsafeBufferPointer<UInt8>, fields: UnsafeBufferPointer<CSVRecord.Field>, recordLine: Int,
         mayHaveHighByte: UInt64) {
        self.storage = storage
        self.fields = fields
        self.recordLine = recordLine
        highByteBits = mayHaveHighByte
    }

    /// Whether field `index` may hold a byte of 0x80 or above (the reader saw none in the fields whose bit is clear).
    func mayHaveHighByte(_ index: Int) -> Bool { index >= 64 || highByteBits & (1 << UInt64(index)) != 0 }

    subscript(index: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: storage[fields[index].range])
    }

    /// Fields `first` through `last`, end to end as they lie in the record's storage.
    func span(_ first: Int, through last: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: storage[fields[first].range.lowerBound..<fields[last].range.upperBound])
    }

    /// The value of field `index` when it exists and passed its field check.
    func good(_ index: Int?) -> UnsafeBufferPointer<UInt8>? {
        guard let index, index >= 0, index < fields.count, !isBad(index) else { return nil }
        return self[index]
    }

    func line(of index: Int) -> Int { index >= 0 && index < fields.count ? fields[index].line : recordLine }
    func isQuoted(_ index: Int) -> Bool { index >= 0 && index < fields.count ? fields[index].isQuoted : false }
    @inline(__always) func isBad(_ index: Int) -> Bool { index < 64 ? bad & (1 << UInt64(index)) != 0 : badOverflow.contains(index) }
    mutating func markBad(_ index: Int) {
        if index < 64 { bad |= 1 << UInt64(index) } else { badOverflow.insert(index) }
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}

extension UnsafeBufferPointer<UInt8> {
    /// Whether these bytes are `other`'s: a length check and a plain loop, where the generic `elementsEqual`
    /// walks two iterators (it showed in profiles of the per-record rules, which compare short fields).
    @inline(__always)
    func hasSameBytes(as other: UnsafeBufferPointer<UInt8>) -> Bool {
        guard count == other.count else { return false }
        for index in 0..<count where self[index] != other[index] { return false }
        return true
    }

    /// Whether these bytes are `other`'s (see ``hasSameBytes(as:)-(UnsafeBufferPointer<UInt8>)``).
    @inline(__always)
    func hasSameBytes(as other: [UInt8]) -> Bool {
        other.withUnsafeBufferPointer { hasSameBytes(as: $0) }
    }
}
