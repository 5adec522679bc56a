import CarePlanStandard
import Testing

@Suite struct CSVReaderTests {
    func read(_ text: [UInt8], chunk: Int = 1 << 20) -> [CSVRecord] {
        var reader = CSVReader()
        var records: [CSVRecord] = []
        var start = 0
        text.withUnsafeBufferPointer { buffer in
            while start < buffer.count {
                let end = min(buffer.count, start + chunk)
                reader.consume(UnsafeBufferPointer(rebasing: buffer[start..<end])) { records.append($0) }
                start = end
            }
        }
        reader.finish { records.append($0) }
        return records
    }

    @Test func quotedFieldsWithCommasQuotesAndLineBreaksInEveryChunking() throws {
        let text = Array("a,\"b,c\",\"say \"\"hi\"\"\"\r\n\"line1\r\nline2\",,x\r\nlast,\"\"".utf8)
        for chunk in [1, 2, 3, 5, 1 << 20] {
            let records = read(text, chunk: chunk)
            #expect(records.count == 3)
            #expect(try records[0].strings() == ["a", "b,c", "say \"hi\""])
            #expect(try records[1].strings() == ["line1\r\nline2", "", "x"])
            #expect(try records[2].strings() == ["last", ""])
            #expect(records.map(\.line) == [1, 2, 4])
            #expect(records[1].fieldLines == [2, 3, 3])
            #expect(records.map(\.lineEnding) == [.crlf, .crlf, .none])
            #expect(records[0].fieldQuoted == [false, true, true])
        }
    }

    @Test func aCopyOfAReaderMidRecordReadsOnByItself() throws {
        // The reader keeps the open record in memory of its own; a copy taken mid-record must not share it.
        let text = Array("ab,\"c,d\",e\r\nf,g\r\n".utf8)
        var original = CSVReader()
        var fromOriginal: [CSVRecord] = []
        text.withUnsafeBufferPointer { original.consume(UnsafeBufferPointer(rebasing: $0[0..<5])) { fromOriginal.append($0) } }
        var copy = original
        var fromCopy: [CSVRecord] = []
        // The copy reads other bytes first; the original then finishes its own record.
        Array("x\"\r\n".utf8).withUnsafeBufferPointer { copy.consume($0) { fromCopy.append($0) } }
        text.withUnsafeBufferPointer { original.consume(UnsafeBufferPointer(rebasing: $0[5...])) { fromOriginal.append($0) } }
        original.finish { fromOriginal.append($0) }
        copy.finish { fromCopy.append($0) }
        #expect(try fromOriginal.map { try $0.strings() } == [["ab", "c,d", "e"], ["f", "g"]])
        #expect(try fromCopy.map { try $0.strings() } == [["ab", "cx"]])
    }

    @Test func lfAndBareCREndRecordsToo() throws {
        let records = read(Array("a,b\nc,d\re,f\r\n".utf8))
        #expect(try records.map { try $0.strings() } == [["a", "b"], ["c", "d"], ["e", "f"]])
        #expect(records.map(\.lineEnding) == [.lf, .cr, .crlf])
        #expect(records.map(\.line) == [1, 2, 3])
    }

    @Test func syntaxProblemsCarryLineAndColumn() {
        let records = read(Array("a,b\r\nc,\"d\"x,e\r\nf,g\"h\r\ni,\"open\r\nmore".utf8))
        #expect(records.count == 4)
        #expect(records[1].issues == [.init(kind: .textAfterClosingQuote, line: 2, column: 2)])
        #expect(records[2].issues == [.init(kind: .quoteInUnquotedField, line: 3, column: 2)])
        #expect(records[3].issues == [.init(kind: .unterminatedQuote, line: 4, column: 2)])
    }

    @Test func limitsBoundEveryRecord() {
        var reader = CSVReader(limits: CSVLimits(maxFileBytes: 1 << 20, maxRecordBytes: 10, maxFields: 3))
        var records: [CSVRecord] = []
        Array("1,2,3,4,5\r\n0123456789ABCDEF\r\n".utf8).withUnsafeBufferPointer { reader.consume($0) { records.append($0) } }
        reader.finish { records.append($0) }
        #expect(records[0].fieldCount == 5 && records[0].fieldEnds.count == 3)
        #expect(records[1].isTruncated && records[1].storage.count == 10)
    }

    @Test func strayQuotesInOneRecordKeepABoundedNumberOfIssues() {
        // 2 MiB of `a""""…` on one line: every quote is a stray quote in an unquoted field.
        let count = 2 << 20
        var text = Array("x,a".utf8)
        text += [UInt8](repeating: 0x22, count: count)
        text += Array("\r\nnext,line\r\n".utf8)
        for chunk in [4096, 1 << 20] {
            let records = read(text, chunk: chunk)
            #expect(records.count == 2)
            #expect(records[0].issues.count == CSVLimits.standard.maxIssuesPerRecord)
            #expect(records[0].issues.first == .init(kind: .quoteInUnquotedField, line: 1, column: 2))
            #expect(records[0].issues.count + records[0].omittedIssueCount == count)
            #expect(records[1].issues.isEmpty && records[1].omittedIssueCount == 0)
        }
        // The checker lists the kept ones and one finding for the rest.
        let findings = Support.check(Support.upplan, text)
        let quoting = Support.with("CSV-1", in: findings)
        #expect(quoting.count == CSVLimits.standard.maxIssuesPerRecord + 1)
        #expect(quoting.first?.line == 1)
        #expect(quoting.last?.messageEN.contains("\(count - CSVLimits.standard.maxIssuesPerRecord) more") == true)
    }

    @Test func fileLargerThanTheLimitIsAFinding() throws {
        let checker = StandardChecker(limits: CSVLimits(maxFileBytes: 1000))
        let result = checker.checkFile(CheckInput(name: Support.upplan, source: .bytes(try Support.bytes(of: Support.upplan))))
        #expect(result.findings.contains { $0.code == .fileTooLarge && $0.level == .error })
        #expect(result.byteCount == 1000)
    }

    @Test func aMissingFileIsAFindingNotACrash() {
        let result = StandardChecker().checkFile(.file(atPath: "/nonexistent/" + Support.upplan))
        #expect(result.findings.map(\.code) == [.unreadable])
    }
}
