import RenkeiModel
import Testing

@Suite struct OfficeNumberTests {
    @Test func acceptsExactlyTenDigits() {
        #expect(OfficeNumber(rawValue: "1310000001")?.rawValue == "1310000001")
        #expect(OfficeNumber(rawValue: "131000000") == nil)  // nine digits: the spec example's typo
        #expect(OfficeNumber(rawValue: "13100000011") == nil)
        #expect(OfficeNumber(rawValue: "13100000a1") == nil)
        #expect(OfficeNumber(rawValue: "１３１００００００１") == nil)  // full-width digits
        #expect(OfficeNumber(ascii: Array("9999999999".utf8)) == .allNines)
    }
}

@Suite struct ServiceKindCodeTests {
    @Test func acceptsTwoDigitsOrUpperCaseLetters() {
        for good in ["11", "2A", "A1", "43", "AF"] { #expect(ServiceKindCode(rawValue: good) != nil) }
        for bad in ["1", "111", "a1", "1-", ""] { #expect(ServiceKindCode(rawValue: bad) == nil) }
    }
}

@Suite struct YearMonthTests {
    @Test func parsesAndRendersYYYYMM() throws {
        let june = try #require(YearMonth("202506"))
        #expect(june.year == 2025 && june.month == 6 && june.description == "202506")
        #expect(YearMonth("202513") == nil)
        #expect(YearMonth("202500") == nil)
        #expect(YearMonth("20250") == nil)
        #expect(YearMonth("2025O6") == nil)
    }

    @Test func knowsMonthLengthsAndOrder() throws {
        #expect(try #require(YearMonth("202402")).dayCount == 29)
        #expect(try #require(YearMonth("190002")).dayCount == 28)
        #expect(try #require(YearMonth("200002")).dayCount == 29)
        #expect(try #require(YearMonth("202506")).dayCount == 30)
        #expect(try #require(YearMonth("202512")).next == YearMonth("202601"))
        #expect(try #require(YearMonth("202504")) < #require(YearMonth("202505")))
    }

    @Test func theLastMonthHasNoNext() throws {
        #expect(try #require(YearMonth("999911")).next == YearMonth("999912"))
        #expect(try #require(YearMonth("999912")).next == nil)
        #expect(try #require(YearMonth("000012")).next == YearMonth("000101"))
    }
}

@Suite struct FileSerialTests {
    @Test func acceptsOnlyRealDateTimes() {
        #expect(FileSerial(rawValue: "20250525103000") != nil)
        #expect(FileSerial(rawValue: "20250230103000") == nil)  // 30 February
        #expect(FileSerial(rawValue: "20250525243000") == nil)
        #expect(FileSerial(rawValue: "20250525106000") == nil)
        #expect(FileSerial(rawValue: "202505251030001") == nil)  // 15 digits: the spec example's typo
        #expect(FileSerial(year: 2025, month: 7, day: 1, hour: 9, minute: 5, second: 0)?.rawValue == "20250701090500")
        #expect(FileSerial(rawValue: "20250701090500")?.yearMonth == YearMonth("202507"))
    }
}
