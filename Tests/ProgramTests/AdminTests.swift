import Foundation
import Testing

/// An office's own identity from `renkei init` to revocation, and the operator's files, through the programs.
@Suite(.timeLimit(.minutes(10))) struct AdminTests {
    @Test func anOfficeIdentityFromInitToRevocation() async throws {
        let folder = try Programs.temporaryFolder("admin")
        defer { try? FileManager.default.removeItem(at: folder) }
        let server = try ServerProcess(data: folder.appendingPathComponent("data"), in: folder)
        defer { server.stop() }
        let operatorProfile = ["--profile", server.profile("operator")]
        let mine = folder.appendingPathComponent("my-office").path

        // A key and a CSR; the operator issues the certificate; the office installs it and applies.
        let initialized = try await Programs.run("renkei", ["init", "--profile", mine, "--office", "2710000005", "--server", "127.0.0.1:\(server.port)",
                                                      "--ca", server.data.appendingPathComponent("pki/ca.pem").path], in: folder)
        #expect(initialized.status == 0, "\(initialized)")
        // A profile's key is never replaced.
        let twice = try await Programs.run("renkei", ["init", "--profile", mine, "--office", "2710000005", "--server", "127.0.0.1:\(server.port)",
                                                "--ca", server.data.appendingPathComponent("pki/ca.pem").path], in: folder)
        #expect(twice.status == 2 && twice.error.contains("[2018]"), "\(twice)")
        // Without a certificate the profile cannot connect yet.
        #expect(try await Programs.run("renkei", ["inbox", "--profile", mine], in: folder).error.contains("[2006]"))
        let certificate = folder.appendingPathComponent("issued.pem").path
        let issued = try await Programs.run("renkei-admin", ["certificate", "issue", mine + "/request.csr.pem", "--out", certificate] + operatorProfile, in: folder)
        #expect(issued.status == 0, "\(issued)")
        let serial = try #require(issued.output.split(separator: " ").first { $0.count >= 16 && $0.allSatisfy(\.isHexDigit) }.map(String.init), "\(issued)")
        #expect(try await Programs.run("renkei", ["init", "--profile", mine, "--certificate", certificate], in: folder).status == 0)
        let applied = try await Programs.run("renkei", ["register", "--profile", mine, "--name", "大阪の事業所", "--service-kind", "43", "--prefecture", "27",
                                                  "--billing-login", "OSAKA1"], in: folder)
        #expect(applied.status == 0, "\(applied)")
        let pending = try await Programs.run("renkei-admin", ["registrations", "--json"] + operatorProfile, in: folder)
        #expect(pending.output.contains("2710000005") && pending.output.contains("大阪の事業所"), "\(pending)")
        _ = try await Programs.run("renkei-admin", ["registrations", "approve", "2710000005"] + operatorProfile, in: folder)
        _ = try await Programs.run("renkei-admin", ["license", "activate", "2710000005", "--settlement", "offset"] + operatorProfile, in: folder)

        // The annual offset statement: CSV for Excel, the licence fee on the office's line.
        let statement = folder.appendingPathComponent("offset.csv")
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Tokyo")!
        let now = calendar.dateComponents([.year, .month], from: Date())
        let fiscalYear = now.month! >= 4 ? now.year! : now.year! - 1
        let written = try await Programs.run("renkei-admin", ["license", "statement", "--year", "\(fiscalYear)", "--out", statement.path] + operatorProfile, in: folder)
        #expect(written.status == 0, "\(written)")
        let csv = try Data(contentsOf: statement)
        #expect(csv.prefix(3) == Data([0xEF, 0xBB, 0xBF]))
        let text = String(decoding: csv, as: UTF8.self)
        #expect(text.contains("2710000005,\(fiscalYear),") && text.contains("21000") && text.contains("国保連相殺"), "\(text)")

        // Revoked: the office is refused from the next call on, with a numbered error.
        let revoked = try await Programs.run("renkei-admin", ["certificate", "revoke", serial, "--reason", "鍵の紛失"] + operatorProfile, in: folder)
        #expect(revoked.status == 0, "\(revoked)")
        let refused = try await Programs.run("renkei", ["inbox", "--profile", mine], in: folder)
        #expect(refused.status == 4 || refused.status == 5, "\(refused)")
        #expect(refused.error.contains("[2020]") || refused.error.contains("[1034]"), "\(refused)")
    }
}
