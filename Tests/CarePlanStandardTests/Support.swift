import CarePlanStandard
import Foundation
import Testing

/// Helpers shared by the suites: the example files, edits to their records, and checks of edited bytes.
enum Support {
    /// Tests/CarePlanStandardTests/Fixtures (a copy of ../shared/careplan-standard/examples).
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    /// The package's root folder.
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let upplan = "UPPLAN_202506_1310000001_43_1310000002_11_20250525103000.CSV"
    static let upsikyu = "UPSIKYU_202506_1310000001_43_1310000002_11_20250525103000.CSV"
    static let uphosoku = "UPHOSOKU_202506_1310000001_43_1310000002_11_20250525103000.CSV"
    static let up1kyo = "UP1KYO_1310000001_43_1310000002_11_20250401093000.CSV"
    static let upjsk = "UPJSK_202506_1310000002_11_1310000001_43_20250701100000.CSV"
    static let allExamples = [up1kyo, uphosoku, upjsk, upplan, upsikyu]

    static func bytes(of example: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: fixtures.appendingPathComponent(example)))
    }

    static func records(of example: String) throws -> [[String]] {
        try CarePlanParser.records(of: bytes(of: example))
    }

    /// The example's bytes after `edit` changed its records (written back by the writer).
    static func edited(_ example: String, _ edit: (inout [[String]]) -> Void) throws -> [UInt8] {
        var records = try records(of: example)
        edit(&records)
        let kind = try FileName.parse(example).kind
        return try CarePlanWriter.bytes(of: records, kind: kind)
    }

    /// Checks files given as (name, bytes).
    static func check(_ files: [(String, [UInt8])]) -> CheckReport {
        StandardChecker().check(files.map { CheckInput(name: $0.0, source: .bytes($0.1)) })
    }

    /// Checks one file given as bytes, alone (no send-unit checks).
    static func check(_ name: String, _ bytes: [UInt8]) -> [Finding] {
        StandardChecker().checkFile(CheckInput(name: name, source: .bytes(bytes))).findings
    }

    /// The findings with `code`.
    static func with(_ code: String, in findings: [Finding]) -> [Finding] {
        findings.filter { $0.code.rawValue == code }
    }
}
