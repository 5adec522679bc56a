import Foundation
import RenkeiAPI
import RenkeiClient
import RenkeiCore
import RenkeiCrypto
import Testing

/// A client in another language: a Python script generates its code from the same .proto files with
/// grpcio-tools (the test command installs grpcio and grpcio-tools from PyPI), signs the manifest with
/// the `openssl cms` command and exchanges a unit with this server over mutual TLS — proof that API.md
/// and the .proto files are enough.
@Suite(.serialized, .timeLimit(.minutes(10))) struct OtherLanguageTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func aPythonClientExchangesAUnit() async throws {
        let platform = try await TestPlatform()
        let plan = Traffic().plan
        let swiftSender = try await platform.enrol(plan.sender, kind: plan.senderKind)
        let swiftRecipient = try await platform.enrol(plan.recipient, kind: plan.recipientKind)

        let folder = URL(fileURLWithPath: platform.folder + "-python")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("files"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        func write(_ name: String, _ text: String) throws { try text.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        try write("ca.pem", platform.caPEM)
        try write("chain.pem", platform.ca.intermediate.pem)
        for (who, client) in [("sender", swiftSender), ("recipient", swiftRecipient)] {
            try write("\(who).pem", client.credential.certificate.pem + client.credential.chain.map(\.pem).joined())
            try write("\(who)-leaf.pem", client.credential.certificate.pem)
            try write("\(who).key", try client.credential.key.pem())
        }
        for file in plan.outgoing { try Data(file.bytes).write(to: folder.appendingPathComponent("files/\(file.name)")) }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.repository.appendingPathComponent("Tests/RenkeiServerTests/Python/exchange.py").path,
                             "--port", String(platform.port), "--dir", folder.path,
                             "--protos", Self.repository.appendingPathComponent("Sources/RenkeiAPI/Protos").path,
                             "--sender", plan.sender.rawValue, "--recipient", plan.recipient.rawValue, "--unit", plan.serialText]
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let (stdout, stderr) = await finished(process, output: output, errors: errors)
        try #require(process.terminationStatus == 0, """
            the Python client failed (Tools/dev test installs grpcio and grpcio-tools): \(String(decoding: stderr, as: UTF8.self).suffix(2000))
            """)

        struct Summary: Decodable {
            struct Refused: Decodable { let status: String; let code: Int; let name: String; let message_ja: String }
            let api: String, unit: UInt64, inbox: [UInt64], files_equal: Bool, signature_verified: Bool, refused: Refused
        }
        let summary = try JSONDecoder().decode(Summary.self, from: stdout)
        #expect(summary.api == "renkei.v1")
        #expect(summary.inbox == [summary.unit])
        #expect(summary.files_equal, "every file came back byte for byte")
        #expect(summary.signature_verified, "openssl cms -verify accepts the signature the platform kept")
        #expect(summary.refused.status == "FAILED_PRECONDITION" && summary.refused.code == 1015 && summary.refused.name == "alreadyDownloaded")
        #expect(summary.refused.message_ja == "ダウンロード済みのため取り下げできません")

        // The Swift clients see what the Python one did.
        let detail = try await swiftSender.unit(summary.unit)
        #expect(detail.summary.status == .downloaded)
        #expect(detail.signatureVerified)
        try await swiftRecipient.verifySignature(of: detail)
        for client in [swiftSender, swiftRecipient] { await client.close() }
        await platform.stop()
    }
}

/// API.md lists every code of the error table with its name and messages, so a vendor's client can
/// show the right message: the page cannot fall behind the code.
@Test func theAPIPageListsEveryErrorCode() throws {
    let page = try String(contentsOf: OtherLanguageTests.repository.appendingPathComponent("Sources/RenkeiAPI/API.md"), encoding: .utf8)
    for code in DomainError.Code.all {
        #expect(page.contains("| \(code.rawValue) | `\(code.name)` |"), "API.md lacks code \(code.rawValue) \(code.name)")
        #expect(page.contains(code.japanese), "API.md lacks the Japanese message of \(code.rawValue)")
    }
}
