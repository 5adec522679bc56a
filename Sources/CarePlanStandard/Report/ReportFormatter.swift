import Foundation

/// Which language(s) a readable report uses.
public enum ReportLanguage: String, CaseIterable, Sendable {
    /// Japanese (the default: the report is for a care manager).
    case ja
    /// English.
    case en
    /// Japanese, then English, on the same line.
    case both
}

/// Turns a ``CheckReport`` into what `renkei check` prints: a table a care manager can read, one line per finding
/// and a summary line, or JSON for programs.
public enum ReportFormatter {
    /// One line per finding — file, line, column (No. and name), code, level, message — then a summary line.
    /// `causes` leads with what is wrong with a whole file (its encoding, from ``StandardRepair/diagnosis(name:bytes:)``),
    /// said once, in place of that file's per-line ENC-1 findings.
    public static func table(_ report: CheckReport, language: ReportLanguage = .ja, causes: [String: StandardRepair.Change] = [:]) -> String {
        var lines: [String] = []
        for (file, cause) in causes.sorted(by: { $0.key < $1.key }) {
            let hidden = report.findings.filter { $0.file == file && $0.code == .encoding }.count
            let count = hidden > 0 ? (language == .en ? " (\(hidden) lines)" : "(\(hidden) 行)") : ""
            let message = language == .ja ? cause.japanese : language == .en ? cause.english : cause.japanese + " / " + cause.english
            lines.append([file, "-", cause.code, language == .en ? "error" : "エラー", message + count].joined(separator: "  "))
        }
        for finding in report.findings where !(finding.code == .encoding && causes[finding.file]?.code == "ENC-1") {
            let location = [finding.line.map { language == .en ? "line \($0)" : "\($0)行" },
                            finding.column.map { column in
                                let name = finding.columnName.map { language == .en ? " (\($0))" : "（\($0)）" } ?? ""
                                return language == .en ? "col \(column)\(name)" : "\(column)列\(name)"
                            }].compactMap { $0 }.joined(separator: " ")
            let level: String
            switch (finding.level, language) {
            case (.error, .en): level = "error"
            case (.warning, .en): level = "warning"
            case (.error, _): level = "エラー"
            case (.warning, _): level = "警告"
            }
            let message: String
            switch language {
            case .ja: message = finding.messageJA
            case .en: message = finding.messageEN
            case .both: message = finding.messageJA + " / " + finding.messageEN
            }
            lines.append([finding.file, location.isEmpty ? "-" : location, finding.code.rawValue, level, message]
                .joined(separator: "  "))
        }
        lines.append(summary(report, language: language))
        return lines.joined(separator: "\n") + "\n"
    }

    /// The summary line: files, errors, warnings and the verdict.
    public static func summary(_ report: CheckReport, language: ReportLanguage = .ja) -> String {
        let files = report.files.count, errors = report.errorCount, warnings = report.warningCount
        let ja = "\(files) ファイル: エラー \(errors) 件、警告 \(warnings) 件 — \(errors == 0 ? "送信できます" : "エラーを直してください")"
        let en = "\(files) file\(files == 1 ? "" : "s"): \(errors) error\(errors == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s") — \(errors == 0 ? "OK to send" : "fix the errors")"
        switch language {
        case .ja: return ja
        case .en: return en
        case .both: return ja + " / " + en
        }
    }

    /// The report as JSON: `files` (name, bytes, errors, warnings), `findings` (every field of ``Finding``),
    /// `errorCount`, `warningCount`.
    public static func json(_ report: CheckReport) -> String {
        struct FileEntry: Encodable { let file: String; let bytes: Int; let errors: Int; let warnings: Int }
        struct Document: Encodable {
            let files: [FileEntry]
            let findings: [Finding]
            let errorCount: Int
            let warningCount: Int
        }
        let document = Document(
            files: report.files.map { FileEntry(file: $0.file, bytes: $0.byteCount, errors: $0.errorCount, warnings: $0.warningCount) },
            findings: report.findings, errorCount: report.errorCount, warningCount: report.warningCount)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(document) else { return "{}\n" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
