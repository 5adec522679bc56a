/// Writes records back to the standard's bytes: MS932, commas, CRLF after every record (the last included),
/// free-text columns (format `text`) in double quotes with `"` doubled, other columns bare unless they hold a
/// comma, quote or line break. Used for generated test data and, later, by the web screens.
public enum CarePlanWriter {
    /// The bytes of `records` as a file of `kind`. Throws when a record has the wrong number of fields for the
    /// kind (CSV-4) or a value holds a character outside MS932 or 外字 (ENC-1).
    public static func bytes(of records: [[String]], kind: FileKind,
                             definition: StandardDefinition = .v41) throws(CarePlanWriterError) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(records.count * 160)
        let textColumns = definition.layout(of: kind).map { $0.columns.map { $0.format == .text } }
        for (recordIndex, record) in records.enumerated() {
            if let textColumns, record.count != textColumns.count {
                throw CarePlanWriterError(code: .columnCount, record: recordIndex + 1, column: nil,
                                          reason: "\(kind) has \(textColumns.count) columns; the record has \(record.count)")
            }
            try append(record, textColumns: textColumns, recordNumber: recordIndex + 1, to: &output)
        }
        return output
    }

    /// Appends one record (and its CRLF) to `output`.
    public static func append(_ record: [String], textColumns: [Bool]?, recordNumber: Int,
                              to output: inout [UInt8]) throws(CarePlanWriterError) {
        for (index, value) in record.enumerated() {
            if index > 0 { output.append(0x2C) }
            let isText = textColumns?[safe: index] ?? false
            let needsQuotes = (isText && !value.isEmpty)
                || value.utf8.contains { $0 == 0x2C || $0 == 0x22 || $0 == 0x0D || $0 == 0x0A }
            do {
                if needsQuotes {
                    output.append(0x22)
                    if value.utf8.contains(0x22) {
                        try MS932.encode(value.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\""), into: &output)
                    } else {
                        try MS932.encode(value, into: &output)
                    }
                    output.append(0x22)
                } else {
                    try MS932.encode(value, into: &output)
                }
            } catch {
                throw CarePlanWriterError(code: .encoding, record: recordNumber, column: index + 1, reason: error.description)
            }
        }
        output.append(0x0D)
        output.append(0x0A)
    }
}

/// Records that cannot be written as a standard file.
public struct CarePlanWriterError: Error, Hashable, CustomStringConvertible {
    /// The stable code (CSV-4 or ENC-1).
    public let code: FindingCode
    /// The 1-based record.
    public let record: Int
    /// The 1-based column, when one is to blame.
    public let column: Int?
    /// Why.
    public let reason: String

    public var description: String { "\(code): record \(record)\(column.map { ", column \($0)" } ?? ""): \(reason)" }
}
