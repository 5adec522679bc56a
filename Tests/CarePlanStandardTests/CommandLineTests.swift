import CarePlanStandard
import Foundation
import RenkeiModel
import Testing

/// Runs the real `renkei` binary from the build products folder.
@Suite struct CommandLineTests {
    struct Run { let status: Int32; let output: String; let error: String }

    static func binary() throws -> URL {
        let candidates = [Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent(),
                          URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()]
            .map { $0.appendingPathComponent("renkei") }
        return try #require(candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) })
    }

    /// Runs `renkei arguments`; with `asNobody`, through setpriv as uid/gid 65534 (for permission checks as root).
    func run(_ arguments: [String], asNobody: Bool = false) throws -> Run {
        let process = Process()
        if asNobody {
            process.executableURL = URL(fileURLWithPath: Self.setpriv)
            process.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", try Self.binary().path] + arguments
        } else {
            process.executableURL = try Self.binary()
            process.arguments = arguments
        }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let error = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, output: String(decoding: output, as: UTF8.self),
                   error: String(decoding: error, as: UTF8.self))
    }

    func example(_ name: String) -> String { Support.fixtures.appendingPathComponent(name).path }

    static let setpriv = "/usr/bin/setpriv"
    /// Root lists any folder whatever its mode, so as root the test drops to `nobody` through setpriv.
    static let canForbidListing = getuid() != 0 || FileManager.default.isExecutableFile(atPath: setpriv)

    @Test(.enabled(if: canForbidListing)) func aFolderThatCannotBeListedIsANumberedErrorNotAnEmptyFolder() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("renkei-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data(try Support.bytes(of: Support.upplan)).write(to: folder.appendingPathComponent(Support.upplan))
        try FileManager.default.setAttributes([.posixPermissions: 0], ofItemAtPath: folder.path)
        defer {
            try? FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: folder.path)
            try? FileManager.default.removeItem(at: folder)
        }
        let result = try run(["check", folder.path], asNobody: getuid() == 0)
        #expect(result.status == 3, "\(result.output)\(result.error)")
        #expect(result.error.contains("[2002]") && result.error.contains("Cannot list the folder \(folder.path)"))
        #expect(!result.output.contains("送信できます"))
    }

    @Test func anEmptyFolderIsAUsageErrorNotACleanBillOfHealth() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("renkei-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try run(["check", folder.path])
        #expect(result.status == 2, "\(result.output)\(result.error)")
        #expect(result.error.contains("No files to check"))
        #expect(!result.output.contains("送信できます"))
    }

    @Test func generateRefusesTheLastMonthWithAUsageError() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("renkei-cli-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        for month in ["999912", "202513", "2025"] {
            let result = try run(["generate", "--month", month, "--users", "1", "--output", folder.path])
            #expect(result.status == 2, "\(month): \(result.error)")
            #expect(result.error.contains(month))
        }
        #expect(!FileManager.default.fileExists(atPath: folder.path))
        // The generator itself is total at the end of the range.
        #expect(!CarePlanGenerator(seed: 1, month: try #require(YearMonth("999912")), userCount: 1).sendUnits().isEmpty)
    }

    @Test func cleanExamplesExitZeroWithAReadableSummary() throws {
        let result = try run(["check"] + Support.allExamples.map(example))
        #expect(result.status == 0)
        #expect(result.output.contains("5 ファイル: エラー 0 件、警告 1 件"))
        #expect(result.output.contains("UNIT-2  警告"))
    }

    @Test func errorsExitOneAndEachLineNamesFileLineColumnCodeAndMessage() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("renkei-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let bytes = try Support.edited(Support.upplan) { $0[5][9] = "20250631" }
        let path = folder.appendingPathComponent(Support.upplan)
        try Data(bytes).write(to: path)
        let table = try run(["check", "--lang", "both", path.path])
        #expect(table.status == 1)
        let line = try #require(table.output.split(separator: "\n").first { $0.contains("FLD-1") })
        #expect(line.contains(Support.upplan) && line.contains("6行") && line.contains("10列（サービス利用日）"))
        #expect(line.contains("エラー") && line.contains("20250631") && line.contains(" / "))
        #expect(table.output.contains("エラー 1 件"))

        let json = try run(["check", "--json", path.path])
        #expect(json.status == 1)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
        #expect(document["errorCount"] as? Int == 1)
        let findings = try #require(document["findings"] as? [[String: Any]])
        let finding = try #require(findings.first { $0["code"] as? String == "FLD-1" })
        #expect(finding["line"] as? Int == 6 && finding["column"] as? Int == 10)
        #expect(finding["level"] as? String == "error" && finding["columnName"] as? String == "サービス利用日")
        #expect((finding["messageEN"] as? String)?.contains("20250631") == true)
    }

    @Test(arguments: [[], ["check"], ["check", "--bogus", "x"], ["frobnicate"], ["check", "--lang", "fr", "x"]])
    func usageErrorsExitTwo(arguments: [String]) throws {
        let result = try run(arguments)
        #expect(result.status == 2, "\(arguments): \(result.error)")
        #expect(!result.error.isEmpty)
    }

    @Test func aMissingFileIsANumberedErrorWithItsOwnStatus() throws {
        let result = try run(["check", "/nonexistent/file.CSV"])
        #expect(result.status == 3, "\(result.error)")
        #expect(result.error.contains("[2001]") && result.error.contains("/nonexistent/file.CSV"))
    }

    @Test func foldersAreSearchedRecursively() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("renkei-cli-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let nested = folder.appendingPathComponent("2025/06/予定")
        try FileManager.default.createDirectory(at: nested, withIntermediateDirectories: true)
        try Data(try Support.bytes(of: Support.upplan)).write(to: nested.appendingPathComponent(Support.upplan))
        let result = try run(["check", folder.path])
        #expect(result.output.contains(Support.upplan) || result.output.contains("1 ファイル"), "\(result.output)")
        #expect(!result.output.contains("IO-1"), "a sub-folder is searched, not reported as an unreadable file")
    }

    @Test func helpExitsZero() throws {
        let result = try run(["check", "--help"])
        #expect(result.status == 0 && result.output.contains("--json"))
    }
}
