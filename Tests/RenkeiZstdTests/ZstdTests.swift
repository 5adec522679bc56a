import Foundation
import RenkeiModel
import RenkeiZstd
import Testing

/// Text shaped like the standard's CSV records, varied by a seed, for compression tests.
func sampleRecords(seed: Int, count: Int) -> [UInt8] {
    var generator = SplitMix(seed: UInt64(seed))
    var text = ""
    for line in 0..<count {
        let user = 1_000_000 + Int(generator.next() % 500)
        let day = 1 + Int(generator.next() % 28)
        text += "202407,1310000001,139999,\(String(format: "%010d", user)),202506,1310000002,11,\(1100 + generator.next() % 90),"
        text += "202506\(String(format: "%02d", day)),,0\(9 + line % 8)00,1\(line % 8)00,1,,,\"訪問介護 身体介護 \(generator.next() % 1000)\"\r\n"
    }
    return Array(text.utf8)
}

typealias SplitMix = SplitMix64

@Suite struct ZstdTests {
    @Test func roundTripsWithAndWithoutADictionary() throws {
        let dictionary = try ZstdDictionary.train(samples: (0..<200).map { sampleRecords(seed: $0, count: 20) }, capacity: 16 << 10)
        let dictionaries = ZstdDictionarySet([dictionary])
        for size in [0, 1, 100, 10_000] {
            let input = Array(sampleRecords(seed: 9_999, count: 200).prefix(size))
            let plain = Zstd.compress(input)
            #expect(try Zstd.decompress(plain, maximumSize: size) == input)
            #expect(Zstd.dictionaryID(ofFrame: plain.withUnsafeBytes { $0 }) == nil)
            let withDictionary = Zstd.compress(input, dictionary: dictionary)
            #expect(withDictionary.withUnsafeBytes { Zstd.dictionaryID(ofFrame: $0) } == dictionary.id)
            #expect(try Zstd.decompress(withDictionary, maximumSize: size, dictionaries: dictionaries) == input)
        }
    }

    @Test func aTrainedDictionaryMakesSmallFilesSmaller() throws {
        let dictionary = try ZstdDictionary.train(samples: (0..<300).map { sampleRecords(seed: $0, count: 25) }, capacity: 32 << 10)
        let file = sampleRecords(seed: 77_777, count: 25)
        let plain = Zstd.compress(file)
        let trained = Zstd.compress(file, dictionary: dictionary)
        #expect(trained.count * 5 < plain.count * 4, "dictionary \(trained.count) B vs plain \(plain.count) B")
        // The dictionary's bytes load back into an equivalent dictionary.
        let reloaded = try ZstdDictionary(bytes: dictionary.bytes)
        #expect(reloaded.id == dictionary.id)
        #expect(try Zstd.decompress(trained, maximumSize: file.count, dictionaries: ZstdDictionarySet([reloaded])) == file)
    }

    @Test func corruptAndTruncatedFramesGiveTypedErrors() throws {
        let input = sampleRecords(seed: 1, count: 100)
        let frame = Zstd.compress(input)
        var flipped = frame
        flipped[frame.count / 2] ^= 0x5A
        let corrupt = try #require(throws: ZstdError.self) { try Zstd.decompress(flipped, maximumSize: 1 << 20) }
        #expect(corrupt.code == .corruptFrame)
        let garbage = try #require(throws: ZstdError.self) { try Zstd.decompress(Array("not a frame at all".utf8), maximumSize: 1 << 20) }
        #expect(garbage.code == .corruptFrame)
        let truncated = try #require(throws: ZstdError.self) { try Zstd.decompress(Array(frame.prefix(frame.count - 9)), maximumSize: 1 << 20) }
        #expect(truncated.code == .truncatedFrame || truncated.code == .corruptFrame)
        let stream = ZstdStreamDecompressor(maximumSize: 1 << 20)
        _ = try stream.decompress(Array(frame.prefix(frame.count - 9)))
        let streamTruncated = try #require(throws: ZstdError.self) { try stream.finish() }
        #expect(streamTruncated.code == .truncatedFrame)
    }

    @Test func aFrameNeedingAnUnknownDictionarySaysWhichOne() throws {
        let dictionary = try ZstdDictionary.train(samples: (0..<200).map { sampleRecords(seed: $0, count: 20) }, capacity: 8 << 10)
        let frame = Zstd.compress(sampleRecords(seed: 5, count: 10), dictionary: dictionary)
        let error = try #require(throws: ZstdError.self) { try Zstd.decompress(frame, maximumSize: 1 << 20) }
        #expect(error.code == .unknownDictionary)
        #expect(error.dictionaryID == dictionary.id)
        let streamError = try #require(throws: ZstdError.self) { try ZstdStreamDecompressor(maximumSize: 1 << 20).decompress(frame) }
        #expect(streamError.code == .unknownDictionary)
    }

    @Test func decompressionBombsAreRefusedBeforeTheMemoryIsSpent() throws {
        let zeros = [UInt8](repeating: 0, count: 64 << 20)
        let bomb = Zstd.compress(zeros, level: 1)
        #expect(bomb.count < 64 << 10)
        let error = try #require(throws: ZstdError.self) { try Zstd.decompress(bomb, maximumSize: 1 << 20) }
        #expect(error.code == .outputTooLarge)
        // Without a declared size (a streamed frame) the bound holds too.
        let compressor = ZstdStreamCompressor(level: 1)
        var streamed = [UInt8]()
        for _ in 0..<16 { streamed += try compressor.compress(Array(zeros.prefix(4 << 20))) }
        streamed += try compressor.finish()
        let streamError = try #require(throws: ZstdError.self) { try Zstd.decompress(streamed, maximumSize: 1 << 20) }
        #expect(streamError.code == .outputTooLarge)
    }

    @Test func streamingRoundTripsALargeInputInChunks() throws {
        var input = [UInt8]()
        for seed in 0..<60 { input += sampleRecords(seed: seed, count: 1_000) }
        let compressor = ZstdStreamCompressor(pledgedSize: UInt64(input.count))
        var frame = [UInt8]()
        var offset = 0
        while offset < input.count {
            let end = min(offset + 100_003, input.count)
            frame += try compressor.compress(Array(input[offset..<end]))
            offset = end
        }
        frame += try compressor.finish()
        let decompressor = ZstdStreamDecompressor(maximumSize: input.count)
        var output = [UInt8]()
        offset = 0
        while offset < frame.count {
            let end = min(offset + 4_099, frame.count)
            output += try decompressor.decompress(Array(frame[offset..<end]))
            offset = end
        }
        output += try decompressor.finish()
        #expect(output == input)
        #expect(try Zstd.decompress(frame, maximumSize: input.count) == input)
    }

    @Test func badDictionariesAreRefused() throws {
        let notADictionary = try #require(throws: ZstdError.self) { try ZstdDictionary(bytes: Array("hello".utf8)) }
        #expect(notADictionary.code == .invalidDictionary)
        let tooFew = try #require(throws: ZstdError.self) { try ZstdDictionary.train(samples: [Array("a,b".utf8)], capacity: 4096) }
        #expect(tooFew.code == .dictionaryTraining)
    }

    @Test func errorCodesAreStableAndInRenkeiZstdsRange() throws {
        let codes: [(ZstdError.Code, Int, String)] = [
            (.corruptFrame, 601, "corruptFrame"), (.truncatedFrame, 602, "truncatedFrame"),
            (.unknownDictionary, 603, "unknownDictionary"), (.outputTooLarge, 604, "outputTooLarge"),
            (.dictionaryTraining, 605, "dictionaryTraining"), (.invalidDictionary, 606, "invalidDictionary"),
            (.inputTooLarge, 607, "inputTooLarge"), (.library, 699, "library"),
        ]
        for (code, number, name) in codes {
            #expect(code.rawValue == number)
            #expect(code.description == name)
            #expect((600...699).contains(code.rawValue))
        }
        #expect(Set(codes.map(\.0.rawValue)).count == codes.count)
        #expect(ZstdError.Code(rawValue: 1).description == "code 1")

        let corrupt = try #require(throws: ZstdError.self) { try Zstd.decompress(Array("not a frame at all".utf8), maximumSize: 1 << 20) }
        #expect(corrupt.code.rawValue == 601)
        #expect(corrupt.description.hasPrefix("zstd error 601 (corruptFrame): corrupt zstd frame: "), "\(corrupt)")
        #expect(!corrupt.detail.isEmpty)
    }
}
