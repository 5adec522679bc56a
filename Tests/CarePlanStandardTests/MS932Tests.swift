import CarePlanStandard
import Testing

@Suite struct MS932Tests {
    @Test(arguments: [
        ([0x82, 0xA0] as [UInt8], "あ"), ([0x8C, 0xA9], "見"), ([0x81, 0x60], "～"), ([0x81, 0x5F], "＼"),
        ([0x81, 0x7C], "－"), ([0x87, 0x40], "①"), ([0x87, 0x90], "≒"), ([0xED, 0x40], "纊"), ([0xFA, 0x40], "ⅰ"),
        ([0xFA, 0x5B], "∵"), ([0xB1], "ｱ"), ([0x5C], "\\"), ([0x7E], "~"), ([0x41, 0x2C, 0x42], "A,B"),
    ])
    func decodesAsWindowsDoes(bytes: [UInt8], text: String) throws {
        #expect(try MS932.decode(bytes) == text)
    }

    @Test func encodesWithCP932sChoiceForDuplicates() throws {
        #expect(try MS932.encode("∵") == [0x81, 0xE6])   // JIS row 2, not NEC row 13 or IBM
        #expect(try MS932.encode("①") == [0x87, 0x40])
        #expect(try MS932.encode("纊") == [0xED, 0x40])
        #expect(try MS932.encode("ⅰ") == [0xEE, 0xEF])   // NEC-selected IBM, as cp932 writes it
        #expect(try MS932.encode("見本 太郎,ｱ") == [0x8C, 0xA9, 0x96, 0x7B, 0x20, 0x91, 0xBE, 0x98, 0x59, 0x2C, 0xB1])
    }

    @Test func reportsTheOffsetOfTheFirstByteThatDoesNotDecode() {
        let cases: [([UInt8], Int, MS932Problem.Kind)] = [
            ([0x41, 0x42, 0x82], 2, .truncated),          // lead byte at the end
            ([0x41, 0x82, 0x7F, 0x41], 1, .invalid),      // 0x7F is never a second byte
            ([0x82, 0xA0, 0x85, 0x40], 2, .invalid),      // unassigned row
            ([0x30, 0x80], 1, .invalid),                  // 0x80 alone
            ([0xA0], 0, .invalid),
            ([0x41, 0xFD], 1, .invalid),
            ([0x82, 0xA0, 0xF0, 0x40], 2, .gaiji),        // user-defined area (U+E000)
            ([0xF9, 0xFC], 0, .gaiji),                    // its last code (U+E757)
        ]
        for (bytes, offset, kind) in cases {
            #expect {
                _ = try MS932.decode(bytes)
            } throws: { error in
                guard let error = error as? MS932DecodingError else { return false }
                return error.offset == offset && error.problem.kind == kind && error.code == .encoding
            }
        }
    }

    @Test func refusesCharactersOutsideMS932AndSaysWhich() {
        let cases: [(String, String, Int, Bool)] = [
            ("ab〜", "U+301C", 2, false),        // WAVE DASH: MS932 has only FULLWIDTH TILDE
            ("髙橋𠮷", "U+20BB7", 2, false),
            ("x\u{E000}", "U+E000", 1, true),    // 外字
            ("€", "U+20AC", 0, false),
            ("\u{80}", "U+0080", 0, false),
        ]
        for (text, codePoint, position, gaiji) in cases {
            #expect {
                _ = try MS932.encode(text)
            } throws: { error in
                guard let error = error as? MS932EncodingError else { return false }
                return error.codePoint == codePoint && error.position == position && error.isGaiji == gaiji
            }
        }
    }

    @Test func everyDoubleByteCharacterRoundTrips() throws {
        var count = 0
        for lead in Array(0x81...0x9F) + Array(0xE0...0xFC) {
            for trail in 0x40...0xFC where trail != 0x7F {
                let bytes = [UInt8(lead), UInt8(trail)]
                guard MS932.problem(in: bytes) == nil, let text = try? MS932.decode(bytes) else { continue }
                count += 1
                let again = try MS932.encode(text)
                #expect(try MS932.decode(again) == text)
            }
        }
        // cp932 defines 9,604 double-byte codes; 1,880 of them (F0–F9) are 外字, refused here.
        #expect(count == 9604 - 1880)
    }
}
