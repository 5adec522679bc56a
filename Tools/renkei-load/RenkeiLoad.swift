// renkei-load: the platform under load through its real parts — a renkei server in a child process (LMDB
// store, or PostgreSQL with one or more server children; gRPC over TLS with client certificates) and
// RenkeiClient connections from this process, on the same cores. Each command prints one line of JSON.
//
//   renkei-load month --worlds 4 --months 2           month-end 予定 and 実績 bursts between many offices
//   renkei-load uploads --clients 16 --seconds 10     signed 10 KiB units, full path, 16 concurrent clients
//   renkei-load uploads --store postgres://postgres@127.0.0.1:5432/postgres?schema=load1 --nodes 2
//                                                     the same through two server processes over PostgreSQL
//   renkei-load catchup --units 20000                 one subscriber catching up on that many units
//   renkei-load latency --rate 1000 --seconds 10      upload → subscriber latency at a steady rate
//   renkei-load calls --clients 16 --seconds 10       unary ServerInfo calls: the transport's own ceiling
//   renkei-load idle --connections 2000               server memory per idle subscribed connection
//   renkei-load stalled --stalled 50 --units 3000     subscribers that never read: bounded memory, others' rate kept
//   renkei-load kills --rounds 20                     kill -9 of the server under load; nothing acknowledged lost
import ArgumentParser
import CarePlanStandard
import Foundation
import Histogram
import Logging
import RenkeiAPI
import RenkeiClient
import RenkeiCore
import RenkeiCrypto
import RenkeiHost
import RenkeiModel
import RenkeiServer
import RenkeiStore
import Synchronization

@main
struct RenkeiLoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "renkei-load",
        abstract: "Load through the server and clients over TLS / TLS 経由のサーバー負荷計測",
        subcommands: [Month.self, Uploads.self, Calls.self, Catchup.self, Latency.self, Idle.self, Stalled.self, Kills.self, Serve.self, PowerLossChild.self]
    )
}

// MARK: - The platform under test

/// A fresh platform: its CA, the server certificate and the checkpoint key in a folder, server child
/// processes over one store (an LMDB store in the folder, or PostgreSQL: then `nodes` children), and two
/// enrolled offices (a service office sending 実績 to a 居宅 office) with a pool of distinct signed-ready units.
final class LoadPlatform: @unchecked Sendable {
    let folder: URL
    let ca: PlatformCA
    /// The store the server children share: `lmdb` (in `folder`, one child) or a PostgreSQL URL.
    let store: String
    private(set) var nodes: [ServerChild]
    /// The first server child's port.
    var port: Int { nodes[0].port }
    let operatorClient: RenkeiClient
    let sender: Credential
    let recipient: Credential
    let senderNumber: String
    let recipientNumber: String
    let units: [[OutgoingFile]]

    init(units count: Int, store: String = "lmdb", nodes nodeCount: Int = 1) async throws {
        guard nodeCount == 1 || store != "lmdb" else { throw ValidationError("several server nodes need a shared store (--store postgres://…)") }
        folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("renkei-load-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        ca = try PlatformCA.generate(name: "Renkei Load", now: Date() - 86_400)
        let serverKey = try PrivateKey.generate()
        let serverCertificate = try ca.issueServerCertificate(key: serverKey, hostNames: ["127.0.0.1"], notBefore: Date() - 86_400,
                                                              notAfter: Date() + 30 * 86_400)
        try Self.write(folder, "ca.pem", ca.root.pem + ca.intermediate.pem)
        try Self.write(folder, "ca-root.pem", ca.root.pem)
        try Self.write(folder, "ca-intermediate.pem", ca.intermediate.pem)
        try Self.write(folder, "ca-intermediate.key", try ca.intermediateKey.pem())
        try Self.write(folder, "server.pem", serverCertificate.pem + ca.intermediate.pem)
        try Self.write(folder, "server.key", try serverKey.pem())
        try Self.write(folder, "checkpoint.key", try PrivateKey.generate().pem())

        self.store = store
        // One child first (it prepares the store), then the others over what it prepared.
        var nodes = [try ServerChild(folder: folder, store: store)]
        for _ in 1..<max(1, nodeCount) { nodes.append(try ServerChild(folder: folder, store: store)) }
        self.nodes = nodes
        let port = nodes[0].port

        operatorClient = try RenkeiClient(host: "127.0.0.1", port: port, credential: try Self.credential(ca, "9900000001", .operator),
                                          platformCAPEM: ca.root.pem + ca.intermediate.pem)
        let files = Self.actualFiles(count: count)
        guard let first = files.first else { throw ValidationError("the generator made no 実績 file") }
        senderNumber = first.name.sender.rawValue
        recipientNumber = first.name.recipient.rawValue
        units = files.map { [OutgoingFile(name: $0.fileName, bytes: $0.bytes)] }
        var enrolled: [Credential] = []
        for (number, kind) in [(first.name.sender, first.name.senderKind), (first.name.recipient, first.name.recipientKind)] {
            enrolled.append(try await Self.enrol(number.rawValue, kind: kind ?? .careManagement, ca: ca, port: port, operatorClient: operatorClient))
        }
        sender = enrolled[0]
        recipient = enrolled[1]
    }

    /// 実績 files of about 10 KiB, one per service month from 2027-01, from the standard's generator (the same for every run).
    static func actualFiles(count: Int) -> [GeneratedFile] {
        var files: [GeneratedFile] = []
        var month = YearMonth(year: 2027, month: 1)!
        while files.count < count, let file = CarePlanGenerator(seed: 13, month: month).file(kind: .actual, approximateByteCount: 10 << 10) {
            files.append(file)
            guard let next = month.next else { break }
            month = next
        }
        return files
    }

    /// An office that applied through the API, approved, licensed and certified by the operator through it.
    static func enrol(_ number: String, kind: ServiceKindCode, ca: PlatformCA, port: Int, operatorClient: RenkeiClient) async throws -> Credential {
        let key = try PrivateKey.generate()
        let csr = try CertificateSigningRequest(key: key, identity: try OfficeIdentity(officeNumber: number))
        let issued = try await operatorClient.issueCertificate(csr: Array(csr.pem.utf8))
        let credential = try Credential(key: key, certificate: try Certificate(pem: issued.certificatePem), chain: [ca.intermediate])
        let office = try RenkeiClient(host: "127.0.0.1", port: port, credential: credential, platformCAPEM: ca.root.pem + ca.intermediate.pem)
        var application = Renkei_V1_RequestRegistrationRequest()
        application.name = "負荷 \(number)"
        application.serviceKinds = [kind.rawValue]
        application.prefecture = 13
        application.billingLoginID = "L\(number)"
        try await office.requestRegistration(application)
        await office.close()
        try await operatorClient.approveRegistration(of: number)
        try await operatorClient.activateLicense(for: number)
        return credential
    }

    func enrol(_ number: String, kind: ServiceKindCode) async throws -> Credential {
        try await Self.enrol(number, kind: kind, ca: ca, port: port, operatorClient: operatorClient)
    }

    /// Kills the server children with SIGKILL (no shutdown, no flush: what a crash leaves) and waits for them.
    func killServer() {
        for node in nodes { node.kill() }
    }

    /// New server children over the same store (recovering what the killed ones left).
    func restartServer() throws {
        nodes = try nodes.map { _ in try ServerChild(folder: folder, store: store) }
    }

    static func credential(_ ca: PlatformCA, _ number: String, _ role: OfficeIdentity.Role) throws -> Credential {
        let key = try PrivateKey.generate()
        let identity = try OfficeIdentity(officeNumber: number, role: role)
        let certificate = try ca.issueCertificate(for: try CertificateSigningRequest(key: key, identity: identity), identity: identity,
                                                  notBefore: Date() - 3600, notAfter: Date() + 30 * 86_400)
        return try Credential(key: key, certificate: certificate, chain: [ca.intermediate])
    }

    /// A connection presenting `credential` to server child `node` (counted round the children).
    func client(_ credential: Credential, window: Int? = nil, node: Int = 0) throws -> RenkeiClient {
        try RenkeiClient(host: "127.0.0.1", port: nodes[node % nodes.count].port, credential: credential,
                         platformCAPEM: ca.root.pem + ca.intermediate.pem, receiveWindowBytes: window)
    }

    private static func write(_ folder: URL, _ name: String, _ text: String) throws {
        try text.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    static func readLine(_ handle: FileHandle) -> String? {
        var bytes: [UInt8] = []
        while true {
            let byte = handle.readData(ofLength: 1)
            guard let first = byte.first else { return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self) }
            if first == 0x0A { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(first)
        }
    }

    /// The servers' upload statistics and process figures, as their children report them, summed over the children.
    func serverStatistics() throws -> [String: Double] {
        try nodes.map { try $0.statistics() }.reduce(into: [:]) { sum, node in sum.merge(node, uniquingKeysWith: +) }
    }

    /// Until the server child counts `count` subscriptions open (each connection's handshake done, its
    /// stream live). The child is another process, so this asks it every 100 ms, for at most two minutes.
    func waitForSubscriptions(_ count: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while Int(try serverStatistics()["subscriptions"] ?? 0) < count {
            guard ContinuousClock.now < deadline else { throw ValidationError("the \(count) subscriptions did not all open within 120 s") }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    func stop() async {
        await operatorClient.close()
        for node in nodes { node.stop() }
        try? FileManager.default.removeItem(at: folder)
    }
}

/// One server child (`renkei-load serve`): started over the store, asked for its statistics through its
/// standard input, stopped by closing that input.
final class ServerChild: @unchecked Sendable {
    let process: Process
    let input: FileHandle
    let output: FileHandle
    let port: Int

    /// Starts a child over the certificates in `folder` and `store`, and reads the port it listens on.
    init(folder: URL, store: String) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        process.arguments = ["serve", "--folder", folder.path, "--store", store]
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        input = stdin.fileHandleForWriting
        output = stdout.fileHandleForReading
        guard let line = LoadPlatform.readLine(output), let port = Int(line) else {
            throw ValidationError("the server child did not start")
        }
        self.port = port
    }

    /// Its upload statistics and process figures.
    func statistics() throws -> [String: Double] {
        input.write(Data("stats\n".utf8))
        guard let line = LoadPlatform.readLine(output), let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Double] else {
            throw ValidationError("the server child gave no statistics")
        }
        return object
    }

    /// SIGKILL, and waits for it.
    func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? input.close()
        try? output.close()
    }

    /// Ends its input (the child then stops its server gracefully) and waits for it.
    func stop() {
        try? input.close()
        process.waitUntilExit()
    }
}

/// Numbers the uploads across clients.
final class Counter: Sendable {
    private let value = Atomic<Int>(0)
    func next() -> Int { value.add(1, ordering: .relaxed).newValue }
}

/// The process's CPU time (user and system), in seconds.
func processCPU() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

/// The process's resident memory, in bytes.
func residentBytes() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
          let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
    return kilobytes * 1024
}

/// Writes a line to standard output at once (a pipe would otherwise hold it in a buffer).
func emit(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

func json(_ fields: [(String, Any)]) -> String {
    "{" + fields.map { key, value in
        switch value {
        case let number as Double: "\"\(key)\":\(String(format: "%.1f", number))"
        case let number as Int: "\"\(key)\":\(number)"
        default: "\"\(key)\":\"\(value)\""
        }
    }.joined(separator: ",") + "}"
}

// MARK: - The server child

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "(internal) The server child of the other commands.",
                                                    shouldDisplay: false)
    @Option var folder: String
    @Option var store = "lmdb"

    func run() async throws {
        let base = URL(fileURLWithPath: folder)
        func read(_ name: String) throws -> String { try String(contentsOf: base.appendingPathComponent(name), encoding: .utf8) }
        let ca = try PlatformCA(root: try Certificate(pem: try read("ca-root.pem")), intermediate: try Certificate(pem: try read("ca-intermediate.pem")),
                            intermediateKey: try PrivateKey(pem: try read("ca-intermediate.key")))
        let crl = try ca.makeRevocationList(revoked: [], number: 1, thisUpdate: Date() - 3600, nextUpdate: Date() + 30 * 86_400)
        var logger = Logger(label: "renkei.load")
        logger.logLevel = .error
        let store = try await PlatformStore.open(self.store, data: base, logger: logger)
        let platform = try Platform(store: store, configuration: PlatformConfiguration(
            trustStore: try TrustStore(platform: ca, revocationList: crl),
            checkpointSigner: CheckpointSigner(key: try PrivateKey(pem: try read("checkpoint.key")), keyName: "renkei-load", origin: "renkei.load/log")))
        var limits = ServerLimits()
        limits.maximumConnectionsPerOffice = 10_000
        limits.maximumConcurrentStreams = 1024
        let server = RenkeiServer(platform: platform, settings: ServerSettings(
            host: "127.0.0.1", port: 0, certificateChainPEM: try read("server.pem"), privateKeyPEM: try read("server.key"),
            platformCAPEM: try read("ca.pem"), issuingCA: ca, limits: limits, checkpointInterval: nil), logger: logger)
        let running = Task { try await server.run() }
        emit(String(try await server.port))
        // Commands on stdin: "stats" prints the statistics; the end of input stops the server.
        while let line = readLine() {
            guard line == "stats" else { continue }
            let totals = platform.statistics.totals
            emit(json([("uploads", totals.uploads), ("validate_ns", totals.validateNanoseconds), ("verify_ns", totals.verifyNanoseconds),
                        ("commit_ns", totals.commitNanoseconds), ("cpu_s", processCPU()), ("rss_bytes", residentBytes()),
                        ("subscriptions", server.openSubscriptions)]))
        }
        server.stop()
        _ = try? await running.value
        await store.close()
    }
}

// MARK: - Uploads

struct Uploads: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "uploads", abstract: "Signed 10 KiB units over TLS by concurrent clients.")
    @Option(help: "Concurrent clients, each its own connection.") var clients = 16
    @Option(help: "Seconds to run.") var seconds = 10.0
    @Option(help: "The servers' store: lmdb (embedded, one server) or a PostgreSQL URL (postgres://user@host:port/db?schema=name, a fresh schema).")
    var store = "lmdb"
    @Option(help: "Server processes over the store (more than one needs PostgreSQL); the clients take them in turn.") var nodes = 1

    func run() async throws {
        let platform = try await LoadPlatform(units: 2_400, store: store, nodes: nodes)
        let connections = try (0..<clients).map { try platform.client(platform.sender, node: $0) }
        let counter = Counter()
        let before = try platform.serverStatistics()
        let (sent, wall, clientSeconds) = try await callRepeatedly(on: connections, for: seconds) {
            let checker = StandardChecker()
            return { connection in
                let n = counter.next()
                _ = try await connection.send(platform.units[n % platform.units.count], to: platform.recipientNumber,
                                              idempotencyKey: "load-\(n)", checker: checker)
            }
        }
        let after = try platform.serverStatistics()
        for connection in connections { await connection.close() }
        await platform.stop()
        let uploads = max(1.0, after["uploads"]! - before["uploads"]!)
        func perUpload(_ key: String, scale: Double) -> Double { (after[key]! - before[key]!) * scale / uploads }
        emit(json([("path", "server over TLS"), ("store", store == "lmdb" ? "lmdb" : "postgres"), ("nodes", nodes), ("clients", clients), ("uploads", sent), ("seconds", wall), ("rate", Double(sent) / wall),
                    ("server_cpu_us_per_upload", perUpload("cpu_s", scale: 1e6)),
                    ("server_validate_cpu_us", perUpload("validate_ns", scale: 1e-3)),
                    ("server_verify_cpu_us", perUpload("verify_ns", scale: 1e-3)),
                    ("server_decide_commit_wall_us", perUpload("commit_ns", scale: 1e-3)),
                    ("client_cpu_us_per_upload", clientSeconds * 1e6 / Double(max(1, sent)))]))
    }
}

/// Each connection, on a task of its own, makes the call `makeCall` gives that task over and over until
/// `seconds` have passed: the calls made in all, the wall time, and this process's CPU seconds meanwhile.
func callRepeatedly(on connections: [RenkeiClient], for seconds: Double,
                    _ makeCall: @escaping @Sendable () -> (RenkeiClient) async throws -> Void) async throws -> (calls: Int, wall: Double, cpu: Double) {
    let clientCPU = processCPU()
    let started = ContinuousClock.now
    let deadline = started + .milliseconds(Int(seconds * 1000))
    let calls = try await withThrowingTaskGroup(of: Int.self) { group in
        for connection in connections {
            group.addTask {
                let call = makeCall()
                var count = 0
                while ContinuousClock.now < deadline {
                    try await call(connection)
                    count += 1
                }
                return count
            }
        }
        return try await group.reduce(0, +)
    }
    return (calls, (ContinuousClock.now - started) / .seconds(1), processCPU() - clientCPU)
}

// MARK: - Calls

/// The cheapest authenticated call (ServerInfo: a few hundred bytes each way, no store write) from concurrent
/// clients: what gRPC, HTTP/2 and TLS alone allow on these cores, the ceiling under any upload rate.
struct Calls: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "calls", abstract: "Unary ServerInfo calls over TLS by concurrent clients (the transport's ceiling).")
    @Option(help: "Concurrent clients, each its own connection.") var clients = 16
    @Option(help: "Seconds to run.") var seconds = 10.0

    func run() async throws {
        let platform = try await LoadPlatform(units: 1)
        let connections = try (0..<clients).map { _ in try platform.client(platform.sender) }
        for connection in connections { _ = try await connection.serverInfo() }
        let before = try platform.serverStatistics()
        let (calls, wall, clientSeconds) = try await callRepeatedly(on: connections, for: seconds) {
            { connection in _ = try await connection.serverInfo() }
        }
        let after = try platform.serverStatistics()
        for connection in connections { await connection.close() }
        await platform.stop()
        emit(json([("path", "ServerInfo over TLS"), ("clients", clients), ("calls", calls), ("seconds", wall), ("rate", Double(calls) / wall),
                    ("server_cpu_us_per_call", (after["cpu_s"]! - before["cpu_s"]!) * 1e6 / Double(max(1, calls))),
                    ("client_cpu_us_per_call", clientSeconds * 1e6 / Double(max(1, calls)))]))
    }
}

// MARK: - Catch-up

struct Catchup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "catchup", abstract: "One subscriber catching up on stored units.")
    @Option(help: "Units stored before the subscriber connects.") var units = 20_000

    func run() async throws {
        let platform = try await LoadPlatform(units: 2_400)
        let units = self.units
        let senders = try (0..<16).map { _ in try platform.client(platform.sender) }
        let counter = Counter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for connection in senders {
                group.addTask {
                    while true {
                        let n = counter.next()
                        guard n <= units else { return }
                        _ = try await connection.send(platform.units[n % platform.units.count], to: platform.recipientNumber,
                                                      idempotencyKey: "catchup-\(n)", checker: nil)
                    }
                }
            }
            try await group.waitForAll()
        }
        for connection in senders { await connection.close() }
        let subscriber = try platform.client(platform.recipient)
        let started = ContinuousClock.now
        var received = 0
        for try await message in subscriber.subscribe(after: 0) {
            if case .received? = message.event { received += 1 }
            if received == units { break }
        }
        let wall = (ContinuousClock.now - started) / .seconds(1)
        await subscriber.close()
        await platform.stop()
        emit(json([("units", units), ("seconds", wall), ("rate", Double(received) / wall)]))
    }
}

// MARK: - Latency

struct Latency: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "latency", abstract: "Upload → subscriber latency at a steady upload rate.")
    @Option(help: "Uploads per second.") var rate = 1_000
    @Option(help: "Seconds to run.") var seconds = 10.0

    func run() async throws {
        let platform = try await LoadPlatform(units: 2_400)
        let subscriber = try platform.client(platform.recipient)
        let connections = try (0..<32).map { _ in try platform.client(platform.sender) }
        let total = Int(Double(rate) * seconds)
        let rate = self.rate
        // The subscriber: from now on, live. It notes when each unit arrived; the latencies are joined
        // with the uploads' start times afterwards.
        let latest = try await platform.operatorClient.stats().latestSequence
        let stream = subscriber.subscribe(after: latest)
        let collector = Task {
            var arrivals: [(UInt64, ContinuousClock.Instant)] = []
            for try await message in stream {
                guard case .received(let unit)? = message.event else { continue }
                arrivals.append((unit.unitID, ContinuousClock.now))
                if arrivals.count == total { break }
            }
            return arrivals
        }
        // A steady schedule: upload n starts at n / rate seconds, from whichever client is free.
        let counter = Counter()
        let started = ContinuousClock.now
        let interval = Duration.seconds(1) / rate
        let starts = try await withThrowingTaskGroup(of: [(UInt64, ContinuousClock.Instant, ContinuousClock.Instant)].self) { group in
            for connection in connections {
                group.addTask {
                    var starts: [(UInt64, ContinuousClock.Instant, ContinuousClock.Instant)] = []
                    while true {
                        let n = counter.next()
                        guard n <= total else { return starts }
                        let due = started + interval * n
                        try await Task.sleep(until: due, clock: .continuous)
                        let start = ContinuousClock.now
                        let receipt = try await connection.send(platform.units[n % platform.units.count], to: platform.recipientNumber,
                                                                idempotencyKey: "latency-\(n)", checker: nil)
                        starts.append((receipt.unitID, start, ContinuousClock.now))
                    }
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let wall = (ContinuousClock.now - started) / .seconds(1)
        let arrivals = try await collector.value
        for connection in connections + [subscriber] { await connection.close() }
        await platform.stop()
        let startedAt = Dictionary(starts.map { ($0.0, $0.1) }, uniquingKeysWith: { first, _ in first })
        var h = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        for (unit, at) in arrivals {
            guard let start = startedAt[unit] else { throw ValidationError("unit \(unit) arrived but was not sent") }
            h.record(UInt64(max(0, (at - start) / .microseconds(1))))
        }
        // The sender's own wait (send → receipt, after the durable commit), beside the subscriber's.
        var acknowledged = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        for (_, start, receipt) in starts { acknowledged.record(UInt64(max(0, (receipt - start) / .microseconds(1)))) }
        emit(json([("target_rate", rate), ("achieved_rate", Double(total) / wall), ("events", arrivals.count),
                    ("p50_ms", Double(h.valueAtPercentile(50)) / 1000), ("p99_ms", Double(h.valueAtPercentile(99)) / 1000),
                    ("max_ms", Double(h.max) / 1000),
                    ("receipt_p50_ms", Double(acknowledged.valueAtPercentile(50)) / 1000),
                    ("receipt_p99_ms", Double(acknowledged.valueAtPercentile(99)) / 1000)]))
    }
}

// MARK: - Idle subscribers

struct Idle: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "idle", abstract: "Server memory per idle subscribed connection.")
    @Option(help: "Connections, each with one subscription.") var connections = 2_000
    @Flag(inversion: .prefixedNo, help: "Open a subscription on each connection (--no-subscribe: one unary call, to see a connection's own cost).")
    var subscribe = true

    func run() async throws {
        let platform = try await LoadPlatform(units: 1)
        let before = try platform.serverStatistics()
        var clients: [RenkeiClient] = []
        var streams: [MailboxStream] = []
        for _ in 0..<connections {
            let client = try platform.client(platform.recipient)
            clients.append(client)
            if subscribe {
                streams.append(client.subscribe(after: 0, heartbeatSeconds: 3600))
            } else {
                _ = try await client.serverInfo()
            }
        }
        if subscribe { try await platform.waitForSubscriptions(connections) }
        let after = try platform.serverStatistics()
        for client in clients { await client.close() }
        await platform.stop()
        let perConnection = (after["rss_bytes"]! - before["rss_bytes"]!) / Double(connections)
        emit(json([("connections", connections), ("subscribed", subscribe ? "yes" : "no"), ("server_rss_before_mib", before["rss_bytes"]! / 1_048_576),
                    ("server_rss_after_mib", after["rss_bytes"]! / 1_048_576), ("kib_per_connection", perConnection / 1024)]))
    }
}
