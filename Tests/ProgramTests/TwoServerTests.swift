import Foundation
import Testing

/// Two `renkei-server` processes over one PostgreSQL database (`--store postgres://…`, the server
/// `Tools/dev test` starts): the 居宅 office sends through one, the 訪問介護 office, subscribed through the
/// other, receives the unit live; the log's sequences stay dense across both, and the auditor's export —
/// every event's inclusion proof against a checkpoint signed by either server — verifies offline.
@Suite(.timeLimit(.minutes(10))) struct TwoServerTests {
    @Test func anUploadThroughOneServerReachesASubscriberOfTheOther() async throws {
        let base = try #require(ProcessInfo.processInfo.environment["RENKEI_TEST_POSTGRES"], "run with Tools/dev test (it starts PostgreSQL)")
        let schema = "two_" + UUID().uuidString.prefix(8).lowercased()
        let url = base + "?schema=" + schema
        let folder = try Programs.temporaryFolder("two-servers")
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("data")

        // Server A makes the development CA and profiles; the 居宅 office keeps a copy of its profile pointing at A.
        let a = try ServerProcess(data: data, arguments: ["--store", url], in: folder)
        defer { a.stop() }
        let kyotakuAtA = folder.appendingPathComponent("kyotaku-at-a").path
        try FileManager.default.copyItem(atPath: a.profile("kyotaku"), toPath: kyotakuAtA)
        // Server B shares the CA (same data folder) and the database; the profiles now point at B.
        let b = try ServerProcess(data: data, arguments: ["--store", url], in: folder)
        defer { b.stop() }
        #expect(a.port != b.port)
        try await b.enrolDemoOffices(in: folder)

        // The 訪問介護 office subscribes through B (its first event: the unit it receives).
        let watcher = Process()
        watcher.executableURL = Programs.binaries.appendingPathComponent("renkei")
        watcher.arguments = ["subscribe", "--json", "--count", "1", "--profile", b.profile("houmon")]
        let watched = Pipe()
        watcher.standardOutput = watched
        watcher.standardError = FileHandle.nullDevice
        try watcher.run()
        defer { if watcher.isRunning { watcher.terminate() } }

        // The 居宅 office sends through A.
        let plan = try FileManager.default.contentsOfDirectory(atPath: Programs.examples.path)
            .filter { $0.hasPrefix("UPPLAN_") || $0.hasPrefix("UPSIKYU_") || $0.hasPrefix("UPHOSOKU_202506") }
            .map { Programs.examples.appendingPathComponent($0).path }
        let sent = try await Programs.run("renkei", ["send", "--json", "--profile", kyotakuAtA] + plan, in: folder)
        let unit = try #require(EndToEndTests.unitID(in: sent.output), "\(sent)")

        let line = await Self.firstLine(of: watched)
        #expect(line.contains("\"unitId\":\"\(unit)\"") || line.contains("\"unitId\": \"\(unit)\""), "B's subscriber: \(line)")
        let inbox = try await Programs.run("renkei", ["inbox", "--profile", b.profile("houmon")], in: folder)
        #expect(inbox.output.contains("\(unit)"), "\(inbox)")

        // One log: dense sequences from 1, whichever server appended.
        let psql = try await Programs.run("/usr/lib/postgresql/15/bin/psql", Self.psqlArguments(base) + [
            "-At", "-c", "SELECT count(*) || ' ' || min(seq) || ' ' || max(seq) FROM \(schema).events"], in: folder)
        let figures = psql.output.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        #expect(figures.count == 3 && figures[0] == figures[2] && figures[1] == 1 && figures[0] > 10, "\(psql)")

        // The auditor exports through A (the checkpoint A signs covers what B appended) and verifies offline.
        let export = folder.appendingPathComponent("audit.jsonl")
        let exported = try await Programs.run("renkei", ["audit", "export", "--out", export.path, "--profile", a.profile("auditor")], in: folder)
        #expect(exported.status == 0, "\(exported)")
        let verified = try await Programs.run("renkei", ["audit", "verify", export.path, "--profile", a.profile("auditor")], in: folder)
        #expect(verified.status == 0 && verified.output.contains("sender signatures"), "\(verified)")
    }

    /// The first line `pipe` receives (off the shared threads: the read blocks).
    static func firstLine(of pipe: Pipe) async -> String {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var bytes: [UInt8] = []
                while true {
                    let byte = pipe.fileHandleForReading.readData(ofLength: 1)
                    guard let first = byte.first, first != 0x0A else { break }
                    bytes.append(first)
                }
                continuation.resume(returning: String(decoding: bytes, as: UTF8.self))
            }
        }
    }

    /// psql's connection arguments for a postgres://user@host:port/database URL.
    static func psqlArguments(_ url: String) -> [String] {
        let rest = url.dropFirst("postgres://".count)
        let (user, server) = rest.contains("@") ? (String(rest.split(separator: "@")[0]), String(rest.split(separator: "@")[1])) : ("postgres", String(rest))
        let hostPort = server.split(separator: "/")[0]
        let parts = hostPort.split(separator: ":")
        return ["-X", "-h", String(parts[0]), "-p", parts.count > 1 ? String(parts[1]) : "5432", "-U", user, "-d",
                server.split(separator: "/").count > 1 ? String(server.split(separator: "/")[1]) : "postgres"]
    }
}

/// A database connection lost in the middle of an upload: the server's commit is waiting for the log's
/// allocator (another session holds it), its database session is terminated meanwhile, the office gets a
/// retryable refusal and nothing of the unit is stored; sending again (the same files, so the same
/// idempotency key) stores the unit once, and a third send returns that same unit.
@Suite(.timeLimit(.minutes(10))) struct LostDatabaseConnectionTests {
    @Test func anUploadWhoseDatabaseSessionDiesIsRefusedRetryablyAndStoredOnceOnRetry() async throws {
        let base = try #require(ProcessInfo.processInfo.environment["RENKEI_TEST_POSTGRES"], "run with Tools/dev test (it starts PostgreSQL)")
        let schema = "lost_" + UUID().uuidString.prefix(8).lowercased()
        let folder = try Programs.temporaryFolder("lost-connection")
        defer { try? FileManager.default.removeItem(at: folder) }
        // No scheduled checkpoints: one would be a second writer waiting on the same row (and an event of its own).
        let configuration = folder.appendingPathComponent("renkei-server.json")
        try Data(#"{"checkpointSeconds": 0}"#.utf8).write(to: configuration)
        let server = try ServerProcess(data: folder.appendingPathComponent("data"),
                                       arguments: ["--store", base + "?schema=" + schema, "--config", configuration.path], in: folder)
        defer { server.stop() }
        try await server.enrolDemoOffices(in: folder)
        let psqlBase = TwoServerTests.psqlArguments(base)
        func sql(_ statement: String) async throws -> String {
            let run = try await Programs.run("/usr/lib/postgresql/15/bin/psql", psqlBase + ["-At", "-v", "ON_ERROR_STOP=1", "-c", statement], in: folder)
            try #require(run.status == 0, "\(statement): \(run)")
            return run.output.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let eventsBefore = try await sql("SELECT count(*) FROM \(schema).events")

        // Another session takes the allocator row and keeps it until it is told to let go (its input closes).
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/lib/postgresql/15/bin/psql")
        holder.arguments = psqlBase + ["-At", "-v", "ON_ERROR_STOP=1"]
        let holderInput = Pipe()
        holder.standardInput = holderInput
        holder.standardOutput = FileHandle.nullDevice
        try holder.run()
        holderInput.fileHandleForWriting.write(Data("BEGIN; SELECT 1 FROM \(schema).head FOR UPDATE;\n".utf8))
        defer { if holder.isRunning { holder.terminate() } }

        let plan = try FileManager.default.contentsOfDirectory(atPath: Programs.examples.path)
            .filter { $0.hasPrefix("UPPLAN_") || $0.hasPrefix("UPSIKYU_") || $0.hasPrefix("UPHOSOKU_202506") }
            .map { Programs.examples.appendingPathComponent($0).path }
        let send = ["send", "--json", "--profile", server.profile("kyotaku")] + plan
        async let first = Programs.run("renkei", send, in: folder)

        // Until the server's commit waits on the row (a session of this store waiting for a lock), then end that session.
        let deadline = ContinuousClock.now + .seconds(60)
        var terminated = ""
        while terminated != "t" {
            try #require(ContinuousClock.now < deadline, "the upload's commit never waited for the allocator row")
            terminated = try await sql("""
                SELECT coalesce(bool_or(pg_terminate_backend(pid)), false) FROM pg_stat_activity
                WHERE application_name = 'renkei-\(schema)' AND wait_event_type = 'Lock'
                """)
            if terminated != "t" { try await Task.sleep(for: .milliseconds(20)) }
        }
        let refused = try await first
        #expect(refused.status != 0 && refused.error.contains("[1031]") && refused.error.contains("[516]"), "\(refused)")
        holderInput.fileHandleForWriting.write(Data("COMMIT;\n".utf8))
        try holderInput.fileHandleForWriting.close()
        #expect(try await sql("SELECT count(*) FROM \(schema).events") == eventsBefore, "nothing of the refused upload was stored")

        // The retry stores the unit once; a third send gives the same unit back.
        let retried = try await Programs.run("renkei", send, in: folder)
        let unit = try #require(EndToEndTests.unitID(in: retried.output), "\(retried)")
        let third = try await Programs.run("renkei", send, in: folder)
        #expect(EndToEndTests.unitID(in: third.output) == unit && third.output.contains("repeat"), "\(third)")
        #expect(try await sql("SELECT count(*) FROM \(schema).events WHERE seq = \(unit)") == "1")
        let sent = try await Programs.run("renkei", ["sent", "--json", "--profile", server.profile("kyotaku")], in: folder)
        #expect(sent.output.components(separatedBy: "\"unit_id\"").count == 2 && sent.output.contains("\"unit_id\":\"\(unit)\""), "one unit in 送信済: \(sent)")
    }
}

/// `renkei-admin migrate`: a platform that ran on the embedded store moves to PostgreSQL. The copy is proved
/// (equal Merkle roots, equal digests of every key space), and a server started over it serves what was
/// there: the recipient's unit, downloaded byte for byte. A second migration into the same schema is refused.
@Suite(.timeLimit(.minutes(10))) struct MigrateTests {
    @Test func anLMDBStoreMovesToPostgreSQLAndServesTheSameUnits() async throws {
        let base = try #require(ProcessInfo.processInfo.environment["RENKEI_TEST_POSTGRES"], "run with Tools/dev test (it starts PostgreSQL)")
        let url = base + "?schema=mig_" + UUID().uuidString.prefix(8).lowercased()
        let folder = try Programs.temporaryFolder("migrate")
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("data")
        let plan = try FileManager.default.contentsOfDirectory(atPath: Programs.examples.path)
            .filter { $0.hasPrefix("UPPLAN_") || $0.hasPrefix("UPSIKYU_") || $0.hasPrefix("UPHOSOKU_202506") }
            .map { Programs.examples.appendingPathComponent($0).path }

        let embedded = try ServerProcess(data: data, in: folder)
        try await embedded.enrolDemoOffices(in: folder)
        let sent = try await Programs.run("renkei", ["send", "--json", "--profile", embedded.profile("kyotaku")] + plan, in: folder)
        let unit = try #require(EndToEndTests.unitID(in: sent.output), "\(sent)")
        embedded.stop()

        let migrated = try await Programs.run("renkei-admin", ["migrate", "--data", data.path, "--to", url], in: folder)
        #expect(migrated.status == 0 && !migrated.output.contains("DIFFERS") && migrated.output.contains("Merkle root in PostgreSQL"), "\(migrated)")
        #expect(migrated.output.contains("files: 3"), "\(migrated)")

        let server = try ServerProcess(data: data, arguments: ["--store", url], in: folder)
        defer { server.stop() }
        let inbox = try await Programs.run("renkei", ["inbox", "--profile", server.profile("houmon")], in: folder)
        #expect(inbox.output.contains("\(unit)"), "\(inbox)")
        let received = folder.appendingPathComponent("received")
        let download = try await Programs.run("renkei", ["download", "\(unit)", "--to", received.path, "--profile", server.profile("houmon")], in: folder)
        #expect(download.status == 0, "\(download)")
        for path in plan {
            let name = URL(fileURLWithPath: path).lastPathComponent
            #expect(FileManager.default.contents(atPath: received.appendingPathComponent(name).path) == FileManager.default.contents(atPath: path), "\(name)")
        }
        server.stop()

        let again = try await Programs.run("renkei-admin", ["migrate", "--data", data.path, "--to", url], in: folder)
        #expect(again.status != 0 && again.error.contains("empty"), "\(again)")
    }
}

/// A primary with a synchronous standby (streaming replication, `synchronous_standby_names`): renkei-server
/// lists both; the primary is killed (-9, its processes too) while the office uploads, the standby is
/// promoted, and the server moves to it by itself. Every upload the office saw acknowledged is there, the
/// ones refused meanwhile (retryable) go through when sent again, each stored once, and the log verifies.
@Suite(.timeLimit(.minutes(10))) struct StandbyFailoverTests {
    @Test func thePrimaryDiesTheStandbyIsPromotedAndNothingAcknowledgedIsLost() async throws {
        // The pair Tools/dev test started (a test cannot start servers that outlive the programs it runs):
        // FOLDER:PRIMARY_PORT:STANDBY_PORT, with the servers' folders FOLDER/primary and FOLDER/standby.
        let pair = try #require(ProcessInfo.processInfo.environment["RENKEI_TEST_POSTGRES_PAIR"], "run with Tools/dev test (it starts a primary and its standby)")
            .split(separator: ":").map(String.init)
        try #require(pair.count == 3)
        let (primaryDir, primary, standbyDir, standby) = (pair[0] + "/primary", pair[1], pair[0] + "/standby", pair[2])
        let folder = try Programs.temporaryFolder("failover")
        defer { try? FileManager.default.removeItem(at: folder) }
        let script = Programs.packageRoot.appendingPathComponent("Tools/postgres/server").path
        func tool(_ arguments: [String]) async throws {
            let run = try await Programs.run(script, arguments, in: folder)
            try #require(run.status == 0, "Tools/postgres/server \(arguments.joined(separator: " ")): \(run)")
        }
        let psql = "/usr/lib/postgresql/15/bin/psql"
        // Until the standby streams synchronously.
        let deadline = ContinuousClock.now + .seconds(60)
        while try await Programs.run(psql, ["-X", "-h", "127.0.0.1", "-p", primary, "-U", "postgres", "-At", "-c",
                                            "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby'"], in: folder)
            .output.trimmingCharacters(in: .whitespacesAndNewlines) != "sync" {
            try #require(ContinuousClock.now < deadline, "the standby did not become synchronous")
            try await Task.sleep(for: .milliseconds(100))
        }

        let url = "postgres://postgres@127.0.0.1:\(primary),127.0.0.1:\(standby)/postgres?schema=ha"
        let server = try ServerProcess(data: folder.appendingPathComponent("data"), arguments: ["--store", url], in: folder)
        defer { server.stop() }
        try await server.enrolDemoOffices(in: folder)

        // Distinct 予定 units, sent one after another; the primary dies after the fifth is acknowledged.
        var acknowledged: [String: UInt64] = [:], refusedRetryably = 0
        for index in 0..<12 {
            let serial = String(format: "202505251030%02d", index)
            let unitFolder = folder.appendingPathComponent("unit-\(index)")
            try FileManager.default.createDirectory(at: unitFolder, withIntermediateDirectories: true)
            var paths: [String] = []
            for (name, bytes) in try SyncTests.unit(["UPPLAN_", "UPSIKYU_", "UPHOSOKU_202506"], serial: serial, from: "20250525103000") {
                try bytes.write(to: unitFolder.appendingPathComponent(name))
                paths.append(unitFolder.appendingPathComponent(name).path)
            }
            if index == 5 {
                try await tool(["crash", primaryDir])
                try await tool(["promote", standbyDir])
            }
            // Sent until acknowledged: a refusal while the server moves to the new primary is retryable.
            let sendDeadline = ContinuousClock.now + .seconds(120)
            while acknowledged[serial] == nil {
                let run = try await Programs.run("renkei", ["send", "--json", "--profile", server.profile("kyotaku")] + paths, in: folder)
                if let unit = EndToEndTests.unitID(in: run.output) {
                    acknowledged[serial] = unit
                } else {
                    #expect(run.error.contains("[1031]") || run.error.contains("[516]") || run.status == 4, "only retryable refusals: \(run)")
                    refusedRetryably += 1
                    try #require(ContinuousClock.now < sendDeadline, "the server did not move to the promoted standby: \(run)")
                    try await Task.sleep(for: .milliseconds(200))
                }
            }
        }

        // Every acknowledged unit, once, in 送信済 (read through the promoted standby).
        let sent = try await Programs.run("renkei", ["sent", "--json", "--limit", "100", "--profile", server.profile("kyotaku")], in: folder)
        for (serial, unit) in acknowledged {
            #expect(sent.output.contains("\"unit_id\":\"\(unit)\""), "unit \(unit) (連番 \(serial)) acknowledged but missing: \(sent.output)")
        }
        #expect(sent.output.components(separatedBy: "\"unit_id\"").count == 13, "twelve units, each once: \(sent.output)")
        let dense = try await Programs.run(psql, ["-X", "-h", "127.0.0.1", "-p", standby, "-U", "postgres", "-At", "-c",
                                                 "SELECT count(*) = max(seq) AND min(seq) = 1 FROM ha.events"], in: folder)
        #expect(dense.output.trimmingCharacters(in: .whitespacesAndNewlines) == "t", "\(dense)")
        let export = folder.appendingPathComponent("audit.jsonl")
        let exported = try await Programs.run("renkei", ["audit", "export", "--out", export.path, "--profile", server.profile("auditor")], in: folder)
        #expect(exported.status == 0, "\(exported)")
        let verified = try await Programs.run("renkei", ["audit", "verify", export.path, "--profile", server.profile("auditor")], in: folder)
        #expect(verified.status == 0, "\(verified)")
        print("failover: \(acknowledged.count) units acknowledged, \(refusedRetryably) retryable refusals while the server moved")
    }
}
