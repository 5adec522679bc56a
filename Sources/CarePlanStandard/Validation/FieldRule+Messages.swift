extension FieldRule {
    /// The Japanese message for `problem` with `value`: formatted only for findings that are listed, so a
    /// file with millions of bad fields does not format millions of messages past the per-file limit.
    func messageJA(_ problem: FieldProblem, _ value: UnsafeBufferPointer<UInt8>) -> String {
        switch problem.reason {
        case .empty:
            return "必須項目が空です。"
        case .nonASCII:
            return invalidJA(value, why: "全角文字など半角英数字以外が含まれています")
        case .wideHyphen:
            return "ハイフンが全角「－」です。半角「-」を推奨します。"
        case .tooLong(let length):
            return "桁数が \(length) を超えています（\(value.count) 桁: 「\(Self.display(value))」）。"
        case .time2400:
            return "時刻 2400 は標準仕様で認められているか不明です（0000 を推奨）。"
        case .phoneCharacters:
            return "電話番号に数字とハイフン以外の文字があります（「\(Self.display(value))」）。"
        case .notInCodeList:
            return "「\(Self.display(value))」はコード表にない値です（\(codeList)）。"
        case .unusedColumnHasValue:
            return "識別子（使用しない）に値「\(Self.display(value))」があります。"
        case .invalid:
            return invalidJA(value, why: nil)
        }
    }

    /// The English message for `problem` with `value` (see ``messageJA(_:_:)``).
    func messageEN(_ problem: FieldProblem, _ value: UnsafeBufferPointer<UInt8>) -> String {
        switch problem.reason {
        case .empty:
            return "A required value is empty."
        case .nonASCII:
            return invalidEN(value, why: "contains characters other than half-width ASCII")
        case .wideHyphen:
            return "The hyphen is full-width '－'; half-width '-' is expected."
        case .tooLong(let length):
            return "Longer than \(length) characters (\(value.count): '\(Self.display(value))')."
        case .time2400:
            return "Whether 2400 is a valid time is not stated; prefer 0000."
        case .phoneCharacters:
            return "The phone number holds characters other than digits and hyphens ('\(Self.display(value))')."
        case .notInCodeList:
            return "'\(Self.display(value))' is not in the code list (\(codeList))."
        case .unusedColumnHasValue:
            return "The unused identifier column holds '\(Self.display(value))'."
        case .invalid:
            return invalidEN(value, why: nil)
        }
    }

    /// The allowed codes of a `code:` column, as a message lists them.
    private var codeList: String { codes.map { String(decoding: $0, as: UTF8.self) }.joined(separator: ", ") }

    private func invalidJA(_ value: UnsafeBufferPointer<UInt8>, why: String?) -> String {
        "値「\(Self.display(value))」は \(column.format.expectation.ja) ではありません\(why.map { "（\($0)）" } ?? "")。"
    }

    private func invalidEN(_ value: UnsafeBufferPointer<UInt8>, why: String?) -> String {
        "'\(Self.display(value))' is not \(column.format.expectation.en)\(why.map { " (\($0))" } ?? "")."
    }
}
