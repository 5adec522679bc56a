/// A streaming CSV reader for the standard's files: commas, quoted fields with `""` and embedded line breaks,
/// CRLF, LF or CR record ends. It is fed chunks of bytes and hands out one record at a time, reusing one
/// buffer, so memory stays at one record however large the file.
///
/// Invariant: between chunks, `state` says where inside a record the last chunk stopped.
public struct CSVReader {
    enum State { case fieldStart, unquoted, quoted, quoteInQuoted, afterCR }

    /// The limits in force.
    public let limits: CSVLimits
    private var state = State.fieldStart
    private var record = CSVRecord()
    private var line = 1
    private var offset = 0
    private var recordOpen = false
    private var quoteLine = 1

    /// A reader with `limits`.
    public init(limits: CSVLimits = .standard) {
        self.limits = limits
        record.storage.reserveCapacity(4096)
    }

    /// The number of bytes consumed so far.
    public var bytesRead: Int { offset }

    /// Reads `chunk`, calling `body` for each record it completes.
    public mutating func consume(_ chunk: UnsafeBufferPointer<UInt8>, _ body: (CSVRecord) throws -> Void) rethrows {
        let count = chunk.count
        var index = 0
        while index < count {
            if !recordOpen {
                record.reset(line: line, byteOffset: offset + index)
                recordOpen = true
            }
            let byte = chunk[index]
            switch state {
            case .fieldStart:
                startField()
                if byte == 0x22 {
                    if record.fieldCount <= limits.maxFields, !record.fields.isEmpty {
                        record.fields[record.fields.count - 1].isQuoted = true
                    }
                    quoteLine = line
                    state = .quoted
                    index += 1
                } else {
                    state = .unquoted
                }
            case .unquoted:
                // Fast path: copy everything up to the next special byte.
                let start = index
                while index < count {
                    let next = chunk[index]
                    if next == 0x2C || next == 0x0D || next == 0x0A || next == 0x22 { break }
                    index += 1
                }
                append(chunk, start, index)
                guard index < count else { break }
                let special = chunk[index]
                index += 1
                if special == 0x22 {
                    addIssue(.quoteInUnquotedField, line: line)
                    append(byte: 0x22)
                } else {
                    try delimiter(special, body)
                }
            case .quoted:
                let start = index
                while index < count {
                    let next = chunk[index]
                    if next == 0x22 { break }
                    if next == 0x0A { line += 1 }
                    index += 1
                }
                append(chunk, start, index)
                if index < count {
                    state = .quoteInQuoted
                    index += 1
                }
            case .quoteInQuoted:
                index += 1
                if byte == 0x22 {
                    append(byte: 0x22)
                    state = .quoted
                } else if byte == 0x2C || byte == 0x0D || byte == 0x0A {
                    try delimiter(byte, body)
                } else {
                    addIssue(.textAfterClosingQuote, line: line)
                    append(byte: byte)
                    state = .unquoted
                }
            case .afterCR:
                if byte == 0x0A {
                    index += 1
                    line += 1
                    try finishRecord(.crlf, body)
                } else {
                    line += 1
                    try finishRecord(.cr, body)
                }
            }
        }
        offset += count
    }

    /// Ends the input: completes a last record that has no line break, and reports an unclosed quote.
    public mutating func finish(_ body: (CSVRecord) throws -> Void) rethrows {
        switch state {
        case .fieldStart:
            if recordOpen && record.fieldCount > 0 {
                startField()
                try finishRecord(.none, body)
            }
        case .unquoted, .quoteInQuoted:
            try finishRecord(.none, body)
        case .quoted:
            addIssue(.unterminatedQuote, line: quoteLine)
            try finishRecord(.none, body)
        case .afterCR:
            line += 1
            try finishRecord(.cr, body)
        }
        recordOpen = false
    }

    // MARK: - Steps

    @inline(__always) private mutating func startField() {
        record.fieldCount += 1
        if record.fields.count < limits.maxFields {
            let start = record.storage.count
            record.fields.append(CSVRecord.Field(range: start..<start, line: line, isQuoted: false))
        }
        // Past the field limit the field is only counted; its bytes are dropped.
    }

    @inline(__always) private mutating func delimiter(_ byte: UInt8, _ body: (CSVRecord) throws -> Void) rethrows {
        switch byte {
        case 0x2C:
            closeField()
            state = .fieldStart
        case 0x0D:
            closeField()
            state = .afterCR
        default:
            closeField()
            line += 1
            try finishRecord(.lf, body)
        }
    }

    @inline(__always) private mutating func closeField() {
        if record.fieldCount <= limits.maxFields, !record.fields.isEmpty {
            let last = record.fields.count - 1
            record.fields[last].range = record.fields[last].range.lowerBound..<record.storage.count
        }
    }

    private mutating func finishRecord(_ ending: CSVRecord.LineEnding, _ body: (CSVRecord) throws -> Void) rethrows {
        closeField()
        record.lineEnding = ending
        state = .fieldStart
        recordOpen = false
        try body(record)
    }

    @inline(__always) private mutating func append(_ chunk: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) {
        guard end > start, record.fieldCount <= limits.maxFields else { return }
        let room = limits.maxRecordBytes - record.storage.count
        guard room > 0 else { record.isTruncated = true; return }
        let stop = min(end, start + room)
        record.storage.append(contentsOf: UnsafeBufferPointer(rebasing: chunk[start..<stop]))
        if stop < end { record.isTruncated = true }
    }

    /// Keeps the first `limits.maxIssuesPerRecord` issues of a record and only counts the rest, so a line of
    /// stray quotes cannot grow the issue list without bound.
    @inline(__always) private mutating func addIssue(_ kind: CSVRecord.SyntaxIssue.Kind, line: Int) {
        if record.issues.count < limits.maxIssuesPerRecord {
            record.issues.append(.init(kind: kind, line: line, column: record.fieldCount))
        } else {
            record.omittedIssueCount += 1
        }
    }

    @inline(__always) private mutating func append(byte: UInt8) {
        guard record.fieldCount <= limits.maxFields else { return }
        guard record.storage.count < limits.maxRecordBytes else { record.isTruncated = true; return }
        record.storage.append(byte)
    }
}
