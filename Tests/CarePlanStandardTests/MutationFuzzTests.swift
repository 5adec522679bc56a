import CarePlanStandard
import Testing

/// Seeded mutation testing: random edits of valid files, and random bytes, never crash the reader, the
/// checker or the parser, and every finding they produce is well formed. (A libFuzzer target lives in
/// Tools/fuzz; this suite runs in every `swift test`.)
@Suite struct MutationFuzzTests {
    struct Mutator {
        var state: UInt64
        mutating func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(truncatingIfNeeded: state >> 33)
        }
        mutating func mutate(_ input: [UInt8]) -> [UInt8] {
            var bytes = input
            let interesting: [UInt8] = [0x22, 0x2C, 0x0D, 0x0A, 0x81, 0xF0, 0x80, 0xFF, 0x30, 0x39, 0x00, 0x7F]
            for _ in 0..<(1 + next() % 8) {
                let position = bytes.isEmpty ? 0 : next() % bytes.count
                switch next() % 6 {
                case 0 where !bytes.isEmpty: bytes[position] = UInt8(truncatingIfNeeded: next())
                case 1 where !bytes.isEmpty: bytes[position] = interesting[next() % interesting.count]
                case 2: bytes.insert(interesting[next() % interesting.count], at: position)
                case 3 where !bytes.isEmpty: bytes.remove(at: position)
                case 4 where bytes.count > 2:
                    let end = min(bytes.count, position + next() % 64)
                    bytes.insert(contentsOf: bytes[position..<end], at: next() % bytes.count)
                default: if !bytes.isEmpty { bytes.removeSubrange(position..<min(bytes.count, position + next() % 16)) }
                }
            }
            return bytes
        }
    }

    func checkEverything(_ name: String, _ bytes: [UInt8]) {
        let result = StandardChecker().checkFile(CheckInput(name: name, source: .bytes(bytes)))
        for finding in result.findings {
            #expect(!finding.messageJA.isEmpty && !finding.messageEN.isEmpty)
            #expect((finding.line ?? 1) >= 1 && (finding.column ?? 1) >= 1)
        }
        _ = try? CarePlanParser.records(of: bytes)
        _ = MS932.problem(in: bytes)
    }

    @Test func mutatedExamplesAndGeneratedFilesNeverCrash() throws {
        var mutator = Mutator(state: 0xC0FFEE)
        var corpus = try Support.allExamples.map { ($0, try Support.bytes(of: $0)) }
        let generated = CarePlanGenerator(seed: 3, userCount: 3).sendUnits().flatMap(\.files)
        corpus += generated.prefix(8).map { ($0.fileName, $0.bytes) }
        var withErrors = 0
        for round in 0..<3000 {
            let (name, bytes) = corpus[round % corpus.count]
            let mutated = mutator.mutate(bytes)
            checkEverything(name, mutated)
            if StandardChecker().checkFile(CheckInput(name: name, source: .bytes(mutated))).errorCount > 0 { withErrors += 1 }
        }
        // The mutations are not no-ops: most mutated files are refused.
        #expect(withErrors > 1500)
    }

    @Test func randomBytesAndNamesNeverCrash() {
        var mutator = Mutator(state: 7)
        for round in 0..<500 {
            let bytes = (0..<(mutator.next() % 600)).map { _ in UInt8(truncatingIfNeeded: mutator.next()) }
            checkEverything(Support.allExamples[round % 5], bytes)
            let name = String(decoding: (0..<(mutator.next() % 70)).map { _ in UInt8(0x30 + mutator.next() % 0x4B) }, as: UTF8.self)
            _ = try? FileName.parse("UPPLAN_" + name)
            checkEverything(name, bytes)
        }
    }
}
