import Foundation
import RenkeiCrypto

/// The real `openssl` command line, run in a temporary directory of its own, for interoperability tests.
final class OpenSSLCommand {
    /// What one run printed and how it ended.
    struct Result {
        var status: Int32
        var output: String
        var error: String
        var succeeded: Bool { status == 0 }
    }

    /// The working directory; removed when the object goes away.
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("renkei-crypto-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    /// The path of `name` in the working directory.
    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Writes `text` to `name`.
    func write(_ name: String, _ text: String) throws { try write(name, Array(text.utf8)) }

    /// Writes `bytes` to `name`.
    func write(_ name: String, _ bytes: [UInt8]) throws {
        try Data(bytes).write(to: directory.appendingPathComponent(name))
    }

    /// The bytes of `name`.
    func read(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: directory.appendingPathComponent(name))) }

    /// The text of `name`.
    func readText(_ name: String) throws -> String { String(decoding: try read(name), as: UTF8.self) }

    /// Runs `openssl` with `arguments` in the working directory.
    @discardableResult
    func run(_ arguments: String...) throws -> Result { try run(arguments) }

    /// Runs `openssl` with `arguments` in the working directory.
    func run(_ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: String(decoding: out, as: UTF8.self),
                      error: String(decoding: err, as: UTF8.self))
    }

    /// Runs `openssl` and throws unless it succeeds.
    @discardableResult
    func runChecked(_ arguments: String...) throws -> Result {
        let result = try run(arguments)
        guard result.succeeded else {
            throw CommandFailed(arguments: arguments, output: result.output + result.error)
        }
        return result
    }

    struct CommandFailed: Error, CustomStringConvertible {
        var arguments: [String]
        var output: String
        var description: String { "openssl \(arguments.joined(separator: " ")) failed: \(output)" }
    }
}
