/// One CSV record as bytes: the fields' contents (quotes removed, `""` undone) laid end to end in one buffer,
/// which the reader reuses for the next record. Nothing is decoded: MS932 keeps `,`, `"`, CR and LF out of
/// its second bytes, so the syntax can be read on the bytes and only free text needs decoding, if at all.
public struct CSVRecord: Sendable {
    /// How a record ended.
    public enum LineEnding: Hashable, Sendable {
        /// CR LF, as the standard's implementations write.
        case crlf
        /// A bare LF.
        case lf
        /// A bare CR.
        case cr
        /// The end of the input, without a line break.
        case none
    }

    /// A problem the reader met in this record's syntax.
    public struct SyntaxIssue: Hashable, Sendable {
        /// What happened.
        public enum Kind: Hashable, Sendable {
            /// A quoted field that never closes before the end of the input.
            case unterminatedQuote
            /// Characters between a closing quote and the next comma or line break.
            case textAfterClosingQuote
            /// A `"` inside an unquoted field.
            case quoteInUnquotedField
        }
        /// What happened.
        public let kind: Kind
        /// The 1-based line where it happened.
        public let line: Int
        /// The 1-based field number.
        public let column: Int

        /// An issue of `kind` at `line`, `column`.
        public init(kind: Kind, line: Int, column: Int) {
            self.kind = kind
            self.line = line
            self.column = column
        }
    }

    /// Where a stored field lies in `storage`, the line it starts on, and whether it was quoted.
    public struct Field: Hashable, Sendable {
        /// The range of the field's bytes in `storage`.
        public internal(set) var range: Range<Int>
        /// The 1-based line the field starts on.
        public let line: Int
        /// Whether the field was enclosed in double quotes.
        public internal(set) var isQuoted: Bool
    }

    /// The field contents, end to end.
    public internal(set) var storage: [UInt8] = []
    /// The stored fields (at most the reader's field limit).
    public internal(set) var fields: [Field] = []
    /// Where each stored field ends in `storage`.
    public var fieldEnds: [Int] { fields.map(\.range.upperBound) }
    /// The 1-based line each stored field starts on.
    public var fieldLines: [Int] { fields.map(\.line) }
    /// Whether each stored field was quoted.
    public var fieldQuoted: [Bool] { fields.map(\.isQuoted) }
    /// The number of fields the record really had (more than `fieldEnds.count` when it exceeded the limit).
    public internal(set) var fieldCount = 0
    /// The 1-based line the record starts on.
    public internal(set) var line = 1
    /// The byte offset of the record in the input.
    public internal(set) var byteOffset = 0
    /// How the record ended.
    public internal(set) var lineEnding = LineEnding.none
    /// Syntax problems in the record: the first ``CSVLimits/maxIssuesPerRecord`` of them.
    public internal(set) var issues: [SyntaxIssue] = []
    /// How many further syntax problems the record had beyond those in `issues` (counted, not kept).
    public internal(set) var omittedIssueCount = 0
    /// Whether the record was longer than the reader's limit (its contents are cut short).
    public internal(set) var isTruncated = false
    /// Bit `i` clear: stored field `i` holds no byte of 0x80 or above (so it is ASCII, and valid MS932). Noted by
    /// the reader as it scans the bytes, so the validator scans again only the fields that may hold one. Fields
    /// from the 65th on have no bit and are always scanned.
    var mayHaveHighByte: UInt64 = 0

    /// The range of field `index` (0-based) in `storage`.
    @inlinable public func range(ofField index: Int) -> Range<Int> { fields[index].range }

    /// The bytes of field `index` (0-based).
    public func bytes(ofField index: Int) -> ArraySlice<UInt8> { storage[range(ofField: index)] }

    /// Field `index` (0-based) decoded from MS932.
    public func string(ofField index: Int) throws(MS932DecodingError) -> String {
        try MS932.decode(Array(bytes(ofField: index)))
    }

    /// Every stored field decoded from MS932.
    public func strings() throws(MS932DecodingError) -> [String] {
        var values: [String] = []
        values.reserveCapacity(fields.count)
        for index in fields.indices { values.append(try string(ofField: index)) }
        return values
    }

    /// Whether the record is a blank line (one empty unquoted field).
    public var isBlank: Bool { fieldCount == 1 && storage.isEmpty && fields.first?.isQuoted == false }

    /// Sets the record's bytes and fields (as the reader read them).
    mutating func load(bytes: UnsafeBufferPointer<UInt8>, fields: UnsafeBufferPointer<Field>) {
        storage.removeAll(keepingCapacity: true)
        storage.append(contentsOf: bytes)
        self.fields.removeAll(keepingCapacity: true)
        self.fields.append(contentsOf: fields)
    }

    mutating func reset(line: Int, byteOffset: Int) {
        storage.removeAll(keepingCapacity: true)
        fields.removeAll(keepingCapacity: true)
        issues.removeAll(keepingCapacity: true)
        omittedIssueCount = 0
        fieldCount = 0
        isTruncated = false
        mayHaveHighByte = 0
        lineEnding = .none
        self.line = line
        self.byteOffset = byteOffset
    }
}

/// Bounds on what the reader accepts; past them it reports a finding instead of growing.
public struct CSVLimits: Hashable, Sendable {
    /// The largest file, in bytes (LIMIT-1).
    public var maxFileBytes: Int
    /// The longest record, in bytes (LIMIT-2).
    public var maxRecordBytes: Int
    /// The most fields kept per record; a record with more still reports its real count (CSV-4).
    public var maxFields: Int
    /// The most syntax issues kept per record; further ones are only counted (``CSVRecord/omittedIssueCount``).
    public var maxIssuesPerRecord: Int

    /// Limits.
    public init(maxFileBytes: Int = 256 << 20, maxRecordBytes: Int = 1 << 20, maxFields: Int = 256,
                maxIssuesPerRecord: Int = 16) {
        self.maxFileBytes = maxFileBytes
        self.maxRecordBytes = maxRecordBytes
        self.maxFields = maxFields
        self.maxIssuesPerRecord = max(1, maxIssuesPerRecord)
    }

    /// The defaults: 256 MiB per file, 1 MiB per record, 256 fields, 16 syntax issues per record.
    public static let standard = CSVLimits()
}
