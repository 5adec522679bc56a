/// A streaming CSV reader for the standard's files: commas, quoted fields with `""` and embedded line breaks,
/// CRLF, LF or CR record ends. It is fed chunks of bytes and hands out one record at a time, reusing one
/// buffer, so memory stays at one record however large the file. The record is read into a ``RecordScratch``
/// and copied into the ``CSVRecord`` when it ends.
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
    /// The open field, when it is stored (`fieldIsStored`); it joins the scratch's fields when it closes.
    private var field = CSVRecord.Field(range: 0..<0, line: 1, isQuoted: false)
    private var fieldIsStored = false
    /// The bytes of the open field OR-ed together: at 0x80 or above, the field may hold a non-ASCII byte.
    private var fieldBits: UInt8 = 0
    /// The open record's bytes and closed fields.
    private var scratch = RecordScratch()

    /// A reader with `limits`.
    public init(limits: CSVLimits = .standard) {
        self.limits = limits
        record.storage.reserveCapacity(4096)
    }

    /// Gives this reader its own scratch if a copy of it shares the one it has.
    private mutating func ownScratch() {
        if !isKnownUniquelyReferenced(&scratch) { scratch = scratch.copy() }
    }

    /// The number of bytes consumed so far.
    public var bytesRead: Int { offset }

    /// Reads `chunk`, calling `body` for each record it completes.
    public mutating func consume(_ chunk: UnsafeBufferPointer<UInt8>, _ body: (CSVRecord) throws -> Void) rethrows {
        ownScratch()
        let count = chunk.count
        var index = 0
        while index < count {
            if !recordOpen {
                record.reset(line: line, byteOffset: offset + index)
                scratch.reset()
                recordOpen = true
            }
            let byte = chunk[index]
            switch state {
            case .fieldStart:
                startField()
                if byte == 0x22 {
                    field.isQuoted = true
                    quoteLine = line
                    state = .quoted
                    index += 1
                } else {
                    state = .unquoted
                    try unquoted(chunk, &index, body)
                }
            case .unquoted:
                try unquoted(chunk, &index, body)
            case .quoted:
                let start = index
                var bits: UInt8 = 0
                while index < count {
                    let next = chunk[index]
                    if next == 0x22 { break }
                    if next == 0x0A { line += 1 }
                    bits |= next
                    index += 1
                }
                fieldBits |= bits
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

    /// The `.unquoted` state from `index`: copies up to the next special byte and handles it. After a comma it
    /// goes straight on with the next field when that field is unquoted too — the same steps as going back
    /// through `.fieldStart`, without a trip round the state switch for every field of an ordinary record.
    @inline(__always)
    private mutating func unquoted(_ chunk: UnsafeBufferPointer<UInt8>, _ index: inout Int,
                                   _ body: (CSVRecord) throws -> Void) rethrows {
        let count = chunk.count
        while true {
            let start = index
            var end = index  // a local, so the scan does not store `index` back for every byte
            var bits: UInt8 = 0
            while end < count {
                let next = chunk[end]
                if Self.endsUnquotedRun(next) { break }
                bits |= next
                end += 1
            }
            fieldBits |= bits
            index = end
            append(chunk, start, index)
            guard index < count else { return }
            let special = chunk[index]
            index += 1
            if special == 0x22 {
                addIssue(.quoteInUnquotedField, line: line)
                append(byte: 0x22)
                continue
            }
            guard special == 0x2C else { return try delimiter(special, body) }
            // A comma, as `delimiter` handles it, written out here so the commonest byte costs no call.
            closeField()
            guard index < count, chunk[index] != 0x22 else { state = .fieldStart; return }
            // The next field starts here and is unquoted (what `.fieldStart` would do).
            startField()
        }
    }

    /// Whether `byte` ends a run of plain bytes in an unquoted field: `,` CR LF or `"`.
    @inline(__always) private static func endsUnquotedRun(_ byte: UInt8) -> Bool {
        byte == 0x2C || byte == 0x22 || byte == 0x0D || byte == 0x0A
    }

    /// Ends the input: completes a last record that has no line break, and reports an unclosed quote.
    public mutating func finish(_ body: (CSVRecord) throws -> Void) rethrows {
        ownScratch()
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

    /// Starts the next field. The open field is kept in `field` and appended to the record when it closes
    /// (one array write per field instead of an append and an update).
    @inline(__always) private mutating func startField() {
        record.fieldCount += 1
        fieldIsStored = scratch.fieldCount < limits.maxFields
        fieldBits = 0
        if fieldIsStored {
            let start = scratch.byteCount
            field = CSVRecord.Field(range: start..<start, line: line, isQuoted: false)
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

    /// Closes the open field, if it is stored and not closed yet.
    @inline(__always) private mutating func closeField() {
        guard fieldIsStored else { return }
        fieldIsStored = false
        field.range = field.range.lowerBound..<scratch.byteCount
        if fieldBits >= 0x80 && scratch.fieldCount < 64 { record.mayHaveHighByte |= 1 << UInt64(scratch.fieldCount) }
        scratch.append(field)
    }

    private mutating func finishRecord(_ ending: CSVRecord.LineEnding, _ body: (CSVRecord) throws -> Void) rethrows {
        closeField()
        record.lineEnding = ending
        record.load(bytes: scratch.storedBytes, fields: scratch.storedFields)
        state = .fieldStart
        recordOpen = false
        try body(record)
    }

    @inline(__always) private mutating func append(_ chunk: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) {
        guard end > start, record.fieldCount <= limits.maxFields else { return }
        let room = limits.maxRecordBytes - scratch.byteCount
        guard room > 0 else { record.isTruncated = true; return }
        let stop = min(end, start + room)
        scratch.append(UnsafeBufferPointer(rebasing: chunk[start..<stop]))
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
        guard scratch.byteCount < limits.maxRecordBytes else { record.isTruncated = true; return }
        fieldBits |= byte
        scratch.append(byte)
    }
}
