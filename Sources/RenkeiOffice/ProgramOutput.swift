import Foundation
public import RenkeiClient
import RenkeiCore
public import RenkeiModel
public import SwiftProtobuf

/// How the programs print: tables that line up with Japanese text, a progress line on a terminal, and
/// every failure as a numbered message in Japanese and English with its documented exit status.
public enum ProgramOutput {
    /// A plain-text table: a header row, a rule, then rows; columns padded by display width (full-width
    /// characters count two).
    public static func table(_ header: [String], _ rows: [[String]]) -> String {
        var widths = header.map(displayWidth)
        for row in rows { for (index, cell) in row.enumerated() where index < widths.count { widths[index] = max(widths[index], displayWidth(cell)) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - displayWidth(cell))
            }.joined(separator: "  ")
        }
        var out = line(header) + "\n" + widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
        for row in rows { out += line(row) + "\n" }
        return out
    }

    /// Messages as a JSON array with the .proto field names.
    public static func json<M: SwiftProtobuf.Message>(_ messages: [M]) throws -> String {
        var options = JSONEncodingOptions()
        options.preserveProtoFieldNames = true
        return "[" + (try messages.map { try $0.jsonString(options: options) }).joined(separator: ",\n") + "]"
    }

    /// Columns a terminal gives `text`: two for East Asian wide and full-width characters.
    public static func displayWidth(_ text: String) -> Int {
        text.unicodeScalars.reduce(0) { sum, scalar in
            let value = scalar.value
            let wide = (0x1100...0x115F).contains(value) || (0x2E80...0xA4CF).contains(value) || (0xAC00...0xD7A3).contains(value)
                || (0xF900...0xFAFF).contains(value) || (0xFE30...0xFE4F).contains(value) || (0xFF00...0xFF60).contains(value)
                || (0xFFE0...0xFFE6).contains(value)
            return sum + (wide ? 2 : 1)
        }
    }

    /// A progress line on standard error, redrawn in place on a terminal (silent when standard error is a
    /// file or a pipe, so scripts see only results).
    public static func progress(_ label: String, _ done: Int, _ total: Int) {
        guard isatty(2) == 1, total > 0 else { return }
        let width = 30
        let filled = min(width, done * width / total)
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        FileHandle.standardError.write(Data("\r[\(bar)] \(done)/\(total) \(label)\u{1B}[K".utf8))
        if done >= total { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    /// The message and exit status for any failure of a program.
    public static func failure(_ error: any Error) -> (message: String, status: ProgramError.ExitStatus) {
        switch error {
        case let error as ProgramError:
            return (error.description, error.code.exitStatus)
        case let error as RenkeiClientError:
            if let detail = error.detail {
                var text = detail.text
                for finding in detail.findings.prefix(20) {
                    text += "\n  \(finding.file):\(finding.line):\(finding.column) \(finding.rule) \(finding.messageJa) / \(finding.messageEn)"
                }
                let local = Int(detail.code) == DomainError.Code.validationFailed.rawValue
                return (text, local ? .findings : .refused)
            }
            let program = classify(error)
            return (program.description, program.code.exitStatus)
        default:
            return (ProgramError(.badArgument, "\(error)").description, .usage)
        }
    }

    /// A transport failure as the programs' error: an untrusted server certificate, a client certificate the
    /// server refused, or an unreachable server.
    public static func classify(_ error: RenkeiClientError) -> ProgramError {
        let cause = error.cause.lowercased()
        // This side refused the server's certificate.
        if cause.contains("certificate_verify_failed") || cause.contains("hostname") {
            return ProgramError(.serverUntrusted, "\(error.message) (\(error.cause.prefix(300)))")
        }
        // The server refused this side's certificate during the handshake (a TLS alert).
        if cause.contains("alert") {
            return ProgramError(.certificateRefused, "\(error.message) (\(error.cause.prefix(300)))")
        }
        return ProgramError(.serverUnreachable, error.message.isEmpty ? "\(error.status)" : error.message)
    }
}
