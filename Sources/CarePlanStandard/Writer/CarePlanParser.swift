/// Reads a standard file into records of strings — the inverse of ``CarePlanWriter`` — for programs that want
/// the values (the web screens, importers, tests). Strict: the first syntax or encoding problem throws with its
/// line and column. To check a file and list every problem, use ``StandardChecker``.
public enum CarePlanParser {
    /// The records of `source`, each a list of decoded field values.
    public static func records(of source: ByteSource, limits: CSVLimits = .standard) throws(CarePlanParseError) -> [[String]] {
        var records: [[String]] = []
        var failure: CarePlanParseError?
        var reader = CSVReader(limits: limits)
        func take(_ record: CSVRecord) {
            guard failure == nil else { return }
            if let issue = record.issues.first {
                failure = CarePlanParseError(code: .quoting, line: issue.line, column: issue.column, reason: "\(issue.kind)")
                return
            }
            if record.isTruncated || record.fieldCount > record.fields.count {
                failure = CarePlanParseError(code: .recordTooLong, line: record.line, column: nil, reason: "the record exceeds the limits")
                return
            }
            var values: [String] = []
            values.reserveCapacity(record.fieldCount)
            for index in record.fields.indices {
                do { values.append(try record.string(ofField: index)) } catch {
                    failure = CarePlanParseError(code: .encoding, line: record.fields[index].line, column: index + 1, reason: error.description)
                    return
                }
            }
            records.append(values)
        }
        do {
            let tooLarge = try source.forEachChunk(limit: limits.maxFileBytes) { chunk in reader.consume(chunk, take) }
            reader.finish(take)
            if tooLarge { failure = failure ?? CarePlanParseError(code: .fileTooLarge, line: nil, column: nil, reason: "the file exceeds the limit") }
        } catch {
            throw CarePlanParseError(code: .unreadable, line: nil, column: nil, reason: "\(error)")
        }
        if let failure { throw failure }
        return records
    }

    /// The records of `bytes`.
    public static func records(of bytes: [UInt8]) throws(CarePlanParseError) -> [[String]] {
        try records(of: .bytes(bytes))
    }
}

/// A file that could not be read into records.
public struct CarePlanParseError: Error, Hashable, CustomStringConvertible {
    /// The stable code (CSV-1, ENC-1, LIMIT-1, LIMIT-2, IO-1).
    public let code: FindingCode
    /// The 1-based line, when known.
    public let line: Int?
    /// The 1-based column, when known.
    public let column: Int?
    /// Why.
    public let reason: String

    public var description: String { "\(code) at line \(line.map { String($0) } ?? "-"), column \(column.map { String($0) } ?? "-"): \(reason)" }
}
