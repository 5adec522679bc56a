import Foundation
import Testing

/// The twelve steps of DESIGN.md through the built programs: a real `renkei-server` in development mode,
/// the `renkei` command as the 居宅 office (1310000001) and the 訪問介護 office (1310000002), `renkei-admin`
/// as the operator, and the auditor's export verified offline.
@Suite(.serialized, .timeLimit(.minutes(10))) struct EndToEndTests {
    @Test func twelveStepsAcrossTwoOfficesAndAnOperator() async throws {
        let folder = try Programs.temporaryFolder("e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        let server = try ServerProcess(data: folder.appendingPathComponent("data"), in: folder)
        defer { server.stop() }
        let kyotaku = ["--profile", server.profile("kyotaku")], houmon = ["--profile", server.profile("houmon")]
        let operatorProfile = ["--profile", server.profile("operator")], auditor = ["--profile", server.profile("auditor")]
        func renkei(_ arguments: [String], expect status: Int32 = 0, sourceLocation: SourceLocation = #_sourceLocation) async throws -> Programs.Run {
            let run = try await Programs.run("renkei", arguments, in: folder)
            #expect(run.status == status, "renkei \(arguments.joined(separator: " ")): \(run)", sourceLocation: sourceLocation)
            return run
        }
        func admin(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) async throws -> Programs.Run {
            let run = try await Programs.run("renkei-admin", arguments, in: folder)
            #expect(run.status == 0, "renkei-admin \(arguments.joined(separator: " ")): \(run)", sourceLocation: sourceLocation)
            return run
        }
        let example = { (prefix: String) in
            try FileManager.default.contentsOfDirectory(atPath: Programs.examples.path).filter { $0.hasPrefix(prefix) }.map {
                Programs.examples.appendingPathComponent($0).path
            }
        }

        // Before registering, sending is refused with the platform's code (exit 5).
        let early = try await renkei(["send"] + kyotaku + (try example("UPPLAN_")) + (try example("UPSIKYU_")) + (try example("UPHOSOKU_202506")), expect: 5)
        #expect(early.error.contains("[1001]"))

        // 利用申請, approval, licences.
        _ = try await renkei(["register"] + kyotaku + ["--name", "連携居宅", "--service-kind", "43", "--prefecture", "13", "--billing-login", "K1"])
        _ = try await renkei(["register"] + houmon + ["--name", "連携訪問", "--service-kind", "11", "--prefecture", "13", "--billing-login", "H1"])
        await #expect(try admin(["registrations"] + operatorProfile).output.contains("連携訪問"))
        _ = try await admin(["registrations", "approve", "1310000001", "1310000002"] + operatorProfile)
        _ = try await admin(["license", "activate", "1310000001", "1310000002"] + operatorProfile)

        // 1–3: the 居宅 office sends the 予定 unit (three files, one 連番), checked and signed.
        let plan = try example("UPPLAN_") + (try example("UPSIKYU_")) + (try example("UPHOSOKU_202506"))
        let sent = try await renkei(["send", "--json"] + kyotaku + plan)
        let unit = try #require(Self.unitID(in: sent.output))
        // Sending the same files again gives the first receipt, not a second unit.
        let again = try await renkei(["send", "--json"] + kyotaku + plan)
        #expect(Self.unitID(in: again.output) == unit)
        #expect(again.output.contains("\"repeat\": true") || again.output.contains("\"repeat\":true"))

        // 4: the service office sees it, unread; the sender sees it as sent.
        let inbox = try await renkei(["inbox"] + houmon)
        #expect(inbox.output.contains("\(unit)") && inbox.output.contains("未読") && inbox.output.contains("予定"))
        let detail = try await renkei(["show", "\(unit)"] + houmon)
        #expect(detail.output.contains("この端末でも検証済"), "\(detail)")

        // 5: download: byte-identical files, then the status is ダウンロード済 on both sides.
        let received = folder.appendingPathComponent("received")
        _ = try await renkei(["download", "\(unit)", "--to", received.path] + houmon)
        for path in plan {
            let name = URL(fileURLWithPath: path).lastPathComponent
            #expect(FileManager.default.contentsEqual(atPath: path, andPath: received.appendingPathComponent(name).path), "\(name)")
        }
        await #expect(try renkei(["sent"] + kyotaku).output.contains("ダウンロード済"))
        await #expect(try renkei(["inbox", "--status", "unread"] + houmon).output.contains("\(unit)") == false)

        // 7–12: 実績 back, downloaded with --unread.
        let actual = try await renkei(["send", "--json"] + houmon + (try example("UPJSK_")))
        let actualUnit = try #require(Self.unitID(in: actual.output))
        let back = folder.appendingPathComponent("back")
        _ = try await renkei(["download", "--unread", "--to", back.path] + kyotaku)
        let jsk = try #require(try example("UPJSK_").first)
        #expect(FileManager.default.contentsEqual(atPath: jsk, andPath: back.appendingPathComponent(URL(fileURLWithPath: jsk).lastPathComponent).path))

        // A 計画書 unit sent by mistake is withdrawn before download; the recipient sees 取下げ.
        let carePlan = try await renkei(["send", "--json"] + kyotaku + (try example("UP1KYO_")))
        let carePlanUnit = try #require(Self.unitID(in: carePlan.output))
        _ = try await renkei(["withdraw", "\(carePlanUnit)", "--reason", "誤送信"] + kyotaku)
        await #expect(try renkei(["inbox"] + houmon).output.contains("取下げ"))
        // Only the sender withdraws, and only before download: refusals carry the platform's codes.
        await #expect(try renkei(["withdraw", "\(actualUnit)"] + kyotaku, expect: 5).error.contains("[1014]"))
        await #expect(try renkei(["withdraw", "\(actualUnit)"] + houmon, expect: 5).error.contains("[1015]"))

        // The subscription replays the 居宅 office's mailbox from the start.
        let events = try await renkei(["subscribe", "--count", "4"] + kyotaku)
        #expect(events.output.contains("unit \(unit)") && events.output.contains("unit \(actualUnit)"), "\(events)")

        // The auditor exports the 居宅 office's trail; it verifies offline; a tampered copy does not.
        let export = folder.appendingPathComponent("audit.jsonl"), csv = folder.appendingPathComponent("audit.csv")
        _ = try await renkei(["audit", "export", "--office", "1310000001", "--out", export.path, "--csv", csv.path] + auditor)
        let verified = try await renkei(["audit", "verify", export.path] + auditor)
        #expect(verified.output.contains("sender signatures"), "\(verified)")
        #expect(try Data(contentsOf: csv).prefix(3) == Data([0xEF, 0xBB, 0xBF]))
        var lines = try String(contentsOf: export, encoding: .utf8).split(separator: "\n").map(String.init)
        lines[2] = lines[2].replacingOccurrences(of: "1310000002", with: "1310000003")
        let tampered = folder.appendingPathComponent("tampered.jsonl")
        try (lines.joined(separator: "\n") + "\n").write(to: tampered, atomically: true, encoding: .utf8)
        let refused = try await renkei(["audit", "verify", tampered.path] + auditor, expect: 6)
        #expect(refused.error.contains("[2013]"))
        // The log only grew between that export and a later one (RFC 9162 consistency, both checkpoints verified).
        await #expect(try admin(["checkpoint"] + operatorProfile).output.contains("renkei/"))
        let later = folder.appendingPathComponent("later.jsonl")
        _ = try await renkei(["audit", "export", "--out", later.path] + auditor)
        await #expect(try renkei(["audit", "consistency", export.path, later.path] + auditor).output.contains("Consistent"))

        // The operator checks the live store: the log and every projection equal a rebuild.
        let verify = try await admin(["verify", "--data", server.data.path])
        #expect(verify.output.contains("DIFFERS") == false && verify.output.contains("units"), "\(verify)")
        // A hot backup of the running store opens and verifies on its own; its dump and views read it.
        let backup = folder.appendingPathComponent("backup")
        _ = try await admin(["backup", "--data", server.data.path, "--to", backup.path])
        await #expect(try admin(["verify", "--data", backup.path]).output.contains("DIFFERS") == false)
        server.stop()
        // Stopped: everything acknowledged is in the store; rebuilding finds nothing to replace.
        await #expect(try admin(["rebuild", "--data", server.data.path]).output.contains("every projection equals its rebuild"))
        let dump = try await admin(["dump", "--data", server.data.path, "--from", "\(unit)", "--limit", "1"])
        #expect(dump.output.contains("\"kind\":\"sendUnitUploaded\"") && dump.output.contains("1310000002"), "\(dump)")
        let before = try await admin(["view", "--data", server.data.path, "--at", "\(unit - 1)"])
        #expect(before.output.contains("REGISTRATION_STATUS_APPROVED") && before.output.contains("\"through\": \(unit - 1)"), "\(before)")
        // By time: now is after every event; a time before the first event shows nothing yet.
        let now = try await admin(["view", "--data", server.data.path, "--at", ISO8601DateFormatter().string(from: Date() + 1)])
        #expect(now.output.contains("1310000002") && !now.output.contains("\"through\": 0,"), "\(now)")
        let beforeAll = try await admin(["view", "--data", server.data.path, "--at", "2001-01-01T00:00:00Z"])
        #expect(beforeAll.output.contains("\"through\": 0,"), "\(beforeAll)")
    }

    /// The first `"unit_id"` in a JSON receipt.
    static func unitID(in json: String) -> UInt64? {
        guard let range = json.range(of: "\"unit_id\"") else { return nil }
        let digits = json[range.upperBound...].drop { !$0.isNumber }.prefix { $0.isNumber }
        return UInt64(digits)
    }
}
