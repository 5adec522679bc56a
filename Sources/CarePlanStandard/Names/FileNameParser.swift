import RenkeiModel

/// A file name that is not a standard name (NAME-1), with the reason.
public struct FileNameError: Error, Hashable, CustomStringConvertible {
    /// The stable code: NAME-1.
    public let code = FindingCode.fileName
    /// The name.
    public let name: String
    /// Why, in Japanese.
    public let reasonJA: String
    /// Why, in English.
    public let reason: String
    /// The kind, when the prefix was recognised (so the content can still be checked).
    public let kind: FileKind?

    public var description: String { "NAME-1: \(name): \(reason)" }
}

/// Splits a name into its segments and checks each.
struct FileNameParser {
    let definition: StandardDefinition

    func parse(_ name: String) throws(FileNameError) -> FileName {
        func fail(_ ja: String, _ en: String, kind: FileKind? = nil) -> FileNameError {
            FileNameError(name: name, reasonJA: ja, reason: en, kind: kind)
        }
        guard name.utf8.count <= 200 else { throw fail("ファイル名が長すぎます。", "The name is too long.") }
        // Standard names are ASCII. Refusing anything else first also keeps String's canonical equivalence out of
        // the comparisons below (U+212A KELVIN SIGN is canonically equivalent to "K"), and makes Characters bytes.
        guard name.utf8.allSatisfy({ (0x20...0x7E).contains($0) }) else {
            throw fail("ファイル名に ASCII 以外の文字（全角文字など）または制御文字があります。",
                       "The name holds characters outside printable ASCII (full-width or look-alike letters, control characters).")
        }
        let nameBytes = Array(name.utf8)
        // The kind's prefix and `_`, compared in place (no array built for each kind tried).
        guard let kind = definition.kindsLongestFirst.first(where: { kind in
            let prefix = kind.rawValue.utf8
            return nameBytes.count > prefix.count && nameBytes.starts(with: prefix) && nameBytes[prefix.count] == 0x5F
        }) else {
            throw fail("ファイル名の先頭が標準仕様のファイル種別（UPPLAN、UPSIKYU など）ではありません。",
                       "The name does not start with a standard file kind (UPPLAN, UPSIKYU, …).")
        }
        guard let dot = name.lastIndex(of: ".") else {
            throw fail("拡張子 .CSV がありません。", "The name has no .CSV extension.", kind: kind)
        }
        let fileExtension = String(name[name.index(after: dot)...])
        let isImage = kind == .basicInfoImage
        guard isImage ? (fileExtension == "jpg" || fileExtension == "JPG") : fileExtension == "CSV" else {
            throw fail("拡張子「.\(fileExtension)」は使えません（\(isImage ? ".jpg" : ".CSV")）。",
                       "The extension '.\(fileExtension)' is not allowed (expected \(isImage ? ".jpg" : ".CSV")).", kind: kind)
        }
        let body = name[name.index(name.startIndex, offsetBy: kind.rawValue.count + 1)..<dot]
        var segments = body.split(separator: "_", omittingEmptySubsequences: false).map { String($0) }
        let monthInName = definition.layout(of: kind)?.hasMonthInName ?? false
        var monthSegment: String?
        if monthInName || (kind == .basicInfo && segments.first == "000000" && segments.count == 6) {
            guard let first = segments.first, first.utf8.count == 6, DecimalDigits.value(of: first.utf8) != nil else {
                throw fail("\(kind) のファイル名には年月（YYYYMM）が必要です。", "A \(kind) name needs a month segment (YYYYMM).", kind: kind)
            }
            if first == "000000" {
                guard kind == .supplement || kind == .basicInfo else {
                    throw fail("年月 000000 は UPHOSOKU だけに使えます。", "The month 000000 is only allowed for UPHOSOKU.", kind: kind)
                }
            } else if YearMonth(first) == nil {
                throw fail("年月「\(first)」が正しくありません（YYYYMM）。", "The month '\(first)' is not a valid YYYYMM.", kind: kind)
            }
            monthSegment = first
            segments.removeFirst()
        }
        var branch: String?
        if isImage {
            guard let last = segments.last, last.utf8.count == 4, DecimalDigits.value(of: last.utf8) != nil else {
                throw fail("家族構成画像のファイル名には枝番（4桁）が必要です。", "An image name needs a 4-digit branch number.", kind: kind)
            }
            branch = last
            segments.removeLast()
        }
        let form: FileName.Form
        switch segments.count {
        case 5: form = .v41
        case 3: form = .v3
        default:
            throw fail("区切り（_）の数が違います。\(kind)_\(monthInName ? "年月_" : "")送信元事業所番号_種類_送信先事業所番号_種類_連番.CSV の形式です。",
                       "Wrong number of '_' segments; expected \(kind)_\(monthInName ? "YYYYMM_" : "")<sender 10>_<kind 2>_<recipient 10>_<kind 2>_<serial 14>.CSV.",
                       kind: kind)
        }
        let officeSlots = form == .v41 ? (0, 2) : (0, 1)
        guard let sender = OfficeNumber(rawValue: segments[officeSlots.0]) else {
            throw fail("送信元事業所番号「\(segments[officeSlots.0])」は数字10桁ではありません。",
                       "The sender office number '\(segments[officeSlots.0])' is not 10 digits.", kind: kind)
        }
        guard let recipient = OfficeNumber(rawValue: segments[officeSlots.1]) else {
            throw fail("送信先事業所番号「\(segments[officeSlots.1])」は数字10桁ではありません。",
                       "The recipient office number '\(segments[officeSlots.1])' is not 10 digits.", kind: kind)
        }
        var senderKind: ServiceKindCode?
        var recipientKind: ServiceKindCode?
        if form == .v41 {
            guard let from = ServiceKindCode(rawValue: segments[1]) else {
                throw fail("送信元サービス種類コード「\(segments[1])」は英数字2桁ではありません。",
                           "The sender service kind '\(segments[1])' is not 2 characters of 0-9A-Z.", kind: kind)
            }
            guard let to = ServiceKindCode(rawValue: segments[3]) else {
                throw fail("送信先サービス種類コード「\(segments[3])」は英数字2桁ではありません。",
                           "The recipient service kind '\(segments[3])' is not 2 characters of 0-9A-Z.", kind: kind)
            }
            senderKind = from
            recipientKind = to
        }
        let serialText = segments[segments.count - 1]
        guard serialText.utf8.count == 14, DecimalDigits.value(of: serialText.utf8) != nil else {
            throw fail("ファイル連番「\(serialText)」は数字14桁（YYYYMMDDHHMMSS）ではありません。",
                       "The file serial '\(serialText)' is not 14 digits (YYYYMMDDHHMMSS).", kind: kind)
        }
        return FileName(kind: kind, monthSegment: monthSegment, sender: sender, senderKind: senderKind,
                        recipient: recipient, recipientKind: recipientKind, serialText: serialText, branch: branch,
                        fileExtension: fileExtension, form: form)
    }
}
