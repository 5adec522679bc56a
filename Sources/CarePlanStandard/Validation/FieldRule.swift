import RenkeiModel

/// A problem with one field's value: its code and level, and what is wrong, from which the messages are
/// formatted only when the finding is listed (``FieldRule/messageJA(_:_:)``).
struct FieldProblem {
    /// What is wrong with the value.
    enum Reason {
        case empty
        case nonASCII
        case wideHyphen
        case tooLong(length: Int)
        case time2400
        case phoneCharacters
        case notInCodeList
        case unusedColumnHasValue
        case invalid
    }

    var code: FindingCode
    var level: FindingLevel
    var reason: Reason
}

/// The checks for one column, prepared once per layout so the per-record work is byte comparisons only.
/// A class, so the per-field loop shares it rather than copying its strings.
final class FieldRule: Sendable {
    let column: ColumnSpec
    /// The column's format and length, kept apart from `column` so that checking a value reads them alone,
    /// without copying the column's strings.
    let format: FieldFormat
    let length: Int?
    /// Whether an empty value is a finding, and which.
    let emptyIsFinding: Bool
    let emptyCode: FindingCode
    let emptyLevel: FindingLevel
    /// Whether the column is free text (no format to check).
    let isText: Bool
    /// The allowed codes of a `code:` column, as bytes.
    let codes: [[UInt8]]

    init(column: ColumnSpec, layout: Layout, codeLists: [String: [String: String]]) {
        self.column = column
        format = column.format
        length = column.length
        isText = column.format == .text
        emptyIsFinding = column.isRequired
        if layout.kind.isDeletion {
            (emptyCode, emptyLevel) = (.deletion, .error)
        } else if layout.confidence == .high || column.number <= 3 || layout.parentKey.contains(column.key) {
            // Columns 1–3 and the record's key are structural: the record means nothing without them.
            (emptyCode, emptyLevel) = (.field, .error)
        } else {
            // README §10 policy: a ○ on a layout read with medium/low confidence is a warning (FLD-2).
            (emptyCode, emptyLevel) = (.fieldUncertainRequired, .warning)
        }
        if case .code(let list) = column.format {
            codes = (codeLists[list].map { Set($0.keys) } ?? []).sorted().map { Array($0.utf8) }
        } else {
            codes = []
        }
    }

    /// The problem with `value`, or `nil`. `hasNonASCII` says whether it holds a byte of 0x80 or above (the
    /// caller has scanned it already for the encoding check).
    func check(_ value: UnsafeBufferPointer<UInt8>, hasNonASCII: Bool) -> FieldProblem? {
        if value.isEmpty {
            guard emptyIsFinding else { return nil }
            return FieldProblem(code: emptyCode, level: emptyLevel, reason: .empty)
        }
        if isText { return nil }
        if hasNonASCII {
            if format == .taisCode, let problem = checkWideHyphenTAIS(value) { return problem }
            return FieldProblem(code: .field, level: .error, reason: .nonASCII)
        }
        if let length, value.count > length {
            return FieldProblem(code: .field, level: .error, reason: .tooLong(length: length))
        }
        return checkFormat(value)
    }

    private func checkFormat(_ value: UnsafeBufferPointer<UInt8>) -> FieldProblem? {
        let ok: Bool
        switch format {
        case .text: return nil
        case .yearMonth: ok = YearMonth(ascii: value) != nil
        case .yearMonthOrZeros: ok = YearMonth(ascii: value) != nil || Self.isAll(value, 0x30, count: 6)
        case .date: ok = Self.isDate(value)
        case .dateOrZeros: ok = Self.isDate(value) || Self.isAll(value, 0x30, count: 8)
        case .time, .timeOr9999:
            if format == .timeOr9999 && Self.isAll(value, 0x39, count: 4) { return nil }
            guard value.count == 4, let hour = DecimalDigits.value(of: value[0..<2]),
                  let minute = DecimalDigits.value(of: value[2..<4]) else { ok = false; break }
            if hour == 24 && minute == 0 {
                return FieldProblem(code: .field, level: .warning, reason: .time2400)
            }
            ok = hour < 24 && minute < 60
        case .integer:
            let digits = value.first == 0x2D ? UnsafeBufferPointer(rebasing: value[1...]) : value
            ok = !digits.isEmpty && digits.allSatisfy(Self.isDigit)
        case .decimal: ok = value.count == 5 && value[2] == 0x2E && Self.isDigit(value[0]) && Self.isDigit(value[1])
            && Self.isDigit(value[3]) && Self.isDigit(value[4])
        case .insurerNumber: ok = value.count == 6 && value.allSatisfy(Self.isDigit)
        case .insuredNumber:
            ok = value.count == 10 && (value.allSatisfy(Self.isDigit)
                || (value[0] == 0x48 && UnsafeBufferPointer(rebasing: value[1...]).allSatisfy(Self.isDigit)))
        case .officeNumber, .officeNumberOrAllNines: ok = value.count == 10 && value.allSatisfy(Self.isDigit)
        case .serviceKind: ok = value.count == 2 && value.allSatisfy(ServiceKindCode.isCodeByte)
        case .serviceCode, .serviceCodeOrRowCode: ok = value.count == 6 && value.allSatisfy(ServiceKindCode.isCodeByte)
        case .taisCode:
            ok = value.count == 12 && value[5] == 0x2D && value[0..<5].allSatisfy(Self.isDigit) && value[6...].allSatisfy(Self.isDigit)
        case .flags31: ok = value.count == 31 && value.allSatisfy { $0 == 0x30 || $0 == 0x31 }
        case .postalCode: ok = value.count == 8 && value[3] == 0x2D && value[0..<3].allSatisfy(Self.isDigit) && value[4...].allSatisfy(Self.isDigit)
        case .phone:
            if !value.allSatisfy({ Self.isDigit($0) || $0 == 0x2D || $0 == 0x28 || $0 == 0x29 }) {
                return FieldProblem(code: .field, level: .warning, reason: .phoneCharacters)
            }
            ok = true
        case .code:
            if codes.contains(where: { value.hasSameBytes(as: $0) }) { return nil }
            return FieldProblem(code: .fieldCode, level: .error, reason: .notInCodeList)
        case .unused:
            return FieldProblem(code: .field, level: .warning, reason: .unusedColumnHasValue)
        }
        return ok ? nil : FieldProblem(code: .field, level: .error, reason: .invalid)
    }

    /// TAIS / 届出コード written with a full-width hyphen (－, MS932 817C), as the OCR of the spec shows.
    private func checkWideHyphenTAIS(_ value: UnsafeBufferPointer<UInt8>) -> FieldProblem? {
        guard value.count == 13, value[5] == 0x81, value[6] == 0x7C,
              value[0..<5].allSatisfy(Self.isDigit), value[7...].allSatisfy(Self.isDigit) else { return nil }
        return FieldProblem(code: .field, level: .warning, reason: .wideHyphen)
    }

    @inline(__always) static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    static func isAll(_ value: UnsafeBufferPointer<UInt8>, _ byte: UInt8, count: Int) -> Bool {
        value.count == count && value.allSatisfy { $0 == byte }
    }

    /// Whether `value` is a real calendar date `YYYYMMDD` (its parts read as buffers, not slices: this runs on
    /// every date column).
    static func isDate(_ value: UnsafeBufferPointer<UInt8>) -> Bool {
        guard value.count == 8, let month = YearMonth(ascii: UnsafeBufferPointer(rebasing: value[0..<6])),
              let day = DecimalDigits.value(of: UnsafeBufferPointer(rebasing: value[6..<8])) else { return false }
        return day >= 1 && day <= month.dayCount
    }

    /// A value as a user should see it in a message: decoded when it is MS932, else hex; at most 40 characters.
    static func display<Bytes: Collection<UInt8>>(_ value: Bytes) -> String {
        let bytes = Array(value.prefix(80))
        let text = (try? MS932.decode(bytes)) ?? bytes.map { String($0, radix: 16, uppercase: true).leftPadded(to: 2) }.joined(separator: " ")
        return text.count > 40 ? String(text.prefix(40)) + "…" : text
    }
}
