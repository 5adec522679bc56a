import ArgumentParser
import CarePlanStandard
import Foundation
import Logging
import RenkeiClient
import RenkeiCore
import RenkeiCrypto
import RenkeiLog
import RenkeiModel
import RenkeiServer
import RenkeiStore

// MARK: - The server under power cuts

/// `renkei-load powerloss-child`: the writer that `Tools/powerloss/run` cuts the power under, at the level of
/// the whole server (`Tools/powerloss/server-child` runs it). Writer mode (`DATA ROUND`): the platform server
/// over an LMDB store in DATA (on the power-loss file system), two offices enrolled on the first round, four
/// clients uploading signed units over TLS; after each acknowledged upload it prints
/// `ACK <unit> <sha256 of the upload's event body> <sha256 of its first file>` (after `READY <latest>`).
/// Check mode (`--check DATA ACKS`): opens the store from what the cut left, verifies it (record hashes,
/// Merkle root, every projection equal to a rebuild) and finds every acknowledged upload's event and file;
/// exit 0, 1 (an acknowledged upload lost, or a projection differs) or 2 (no usable store).
/// The CA, the server's and the offices' keys live outside the file system, in `RENKEI_POWERLOSS_KEYS`.
struct PowerLossChild: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "powerloss-child", abstract: "(Tools/powerloss) The server as the power-loss writer.",
                                                    shouldDisplay: false)
    @Flag(help: "Check what a cut left (DATA ACKS).") var check = false
    @Argument var paths: [String]

    func run() async throws {
        guard paths.count == 2 else { throw ValidationError("usage: powerloss-child DATA ROUND | powerloss-child --check DATA ACKS") }
        if check { throw ExitCode(await Self.check(data: paths[0], acks: paths[1])) }
        try await write(data: paths[0])
    }

    // MARK: Writer

    func write(data: String) async throws {
        guard let keysPath = ProcessInfo.processInfo.environment["RENKEI_POWERLOSS_KEYS"] else { throw ValidationError("RENKEI_POWERLOSS_KEYS is not set") }
        let keys = URL(fileURLWithPath: keysPath)
        try FileManager.default.createDirectory(at: keys, withIntermediateDirectories: true)
        func file(_ name: String) -> URL { keys.appendingPathComponent(name) }
        func read(_ name: String) throws -> String { try String(contentsOf: file(name), encoding: .utf8) }
        func write(_ name: String, _ text: String) throws { try text.write(to: file(name), atomically: true, encoding: .utf8) }
        if !FileManager.default.fileExists(atPath: file("ca-intermediate.key").path) {
            let ca = try PlatformCA.generate(name: "Renkei Power Loss", now: Date() - 86_400)
            let serverKey = try PrivateKey.generate()
            let serverCertificate = try ca.issueServerCertificate(key: serverKey, hostNames: ["127.0.0.1"], notBefore: Date() - 86_400,
                                                                  notAfter: Date() + 30 * 86_400)
            try write("ca-root.pem", ca.root.pem)
            try write("ca-intermediate.pem", ca.intermediate.pem)
            try write("server.pem", serverCertificate.pem + ca.intermediate.pem)
            try write("server.key", try serverKey.pem())
            try write("checkpoint.key", try PrivateKey.generate().pem())
            try write("ca-intermediate.key", try ca.intermediateKey.pem())
        }
        let ca = try PlatformCA(root: try Certificate(pem: try read("ca-root.pem")), intermediate: try Certificate(pem: try read("ca-intermediate.pem")),
                                intermediateKey: try PrivateKey(pem: try read("ca-intermediate.key")))
        let caPEM = ca.root.pem + ca.intermediate.pem
        let crl = try ca.makeRevocationList(revoked: [], number: 1, thisUpdate: Date() - 3600, nextUpdate: Date() + 30 * 86_400)
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let store = try LMDBEventStore(path: data + "/store", configuration: Self.storeConfiguration())
        let platform = try Platform(store: store, configuration: PlatformConfiguration(
            trustStore: try TrustStore(platform: ca, revocationList: crl),
            checkpointSigner: CheckpointSigner(key: try PrivateKey(pem: try read("checkpoint.key")), keyName: "renkei-powerloss", origin: "renkei.powerloss/log")))
        var logger = Logger(label: "renkei.powerloss")
        logger.logLevel = .critical
        let server = RenkeiServer(platform: platform, settings: ServerSettings(
            host: "127.0.0.1", port: 0, certificateChainPEM: try read("server.pem"), privateKeyPEM: try read("server.key"),
            platformCAPEM: caPEM, issuingCA: ca, checkpointInterval: nil), logger: logger)
        let running = Task { try await server.run() }
        let port = try await server.port

        // The offices, into a new store (the driver cuts only after READY, so an enrolment is always whole and a
        // store that is not empty has them).
        let generated = LoadPlatform.actualFiles(count: 24)
        guard let first = generated.first?.name else { throw ValidationError("the generator made no unit") }
        let (senderNumber, recipientNumber) = (first.sender.rawValue, first.recipient.rawValue)
        if store.latestSequence == .zero {
            let operatorClient = try RenkeiClient(host: "127.0.0.1", port: port, credential: try LoadPlatform.credential(ca, "9900000001", .operator),
                                                  platformCAPEM: caPEM)
            for (number, kind, name) in [(senderNumber, first.senderKind ?? .careManagement, "sender"), (recipientNumber, first.recipientKind ?? .careManagement, "recipient")] {
                let credential = try await LoadPlatform.enrol(number, kind: kind, ca: ca, port: port, operatorClient: operatorClient)
                try write("\(name).pem", credential.certificate.pem)
                try write("\(name).key", try credential.key.pem())
            }
            await operatorClient.close()
        }
        let sender = try Credential(key: try PrivateKey(pem: try read("sender.key")), certificate: try Certificate(pem: try read("sender.pem")),
                                    chain: [ca.intermediate])
        let units = generated.map { [OutgoingFile(name: $0.fileName, bytes: $0.bytes)] }
        emit("READY \(store.latestSequence.rawValue)")

        // Uploads until the power goes.
        let round = ProcessInfo.processInfo.processIdentifier
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<4 {
                group.addTask {
                    guard let client = try? RenkeiClient(host: "127.0.0.1", port: port, credential: sender, platformCAPEM: caPEM) else { return }
                    var n = 0
                    while true {
                        let files = units[(worker + 4 * n) % units.count]
                        guard let receipt = try? await client.send(files, to: recipientNumber, idempotencyKey: "cut-\(round)-\(worker)-\(n)", checker: nil),
                              let body = try? await store.read({ try await $0.event(at: SequenceNumber(receipt.unitID))?.body }) else { return }
                        emit("ACK \(receipt.unitID) \(SHA256.hash(body).hex) \(SHA256.hash(files[0].bytes).hex)")
                        n += 1
                    }
                }
            }
        }
        server.stop()
        _ = try? await running.value
    }

    static func storeConfiguration() -> LMDBEventStore.Configuration {
        var configuration = LMDBEventStore.Configuration()
        configuration.keySpaces = Platform.keySpaces
        return configuration
    }

    // MARK: Check

    static func check(data: String, acks path: String) async -> Int32 {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            emit("CHECK FAILED cannot read \(path)")
            return 2
        }
        var acks: [(sequence: SequenceNumber, body: SHA256Digest, file: SHA256Digest)] = []
        for line in text.split(separator: "\n") where !line.isEmpty {
            let fields = line.split(separator: " ")
            guard fields.count == 4, fields[0] == "ACK", let sequence = UInt64(fields[1]),
                  let body = SHA256Digest(hex: fields[2]), let file = SHA256Digest(hex: fields[3]) else {
                emit("CHECK FAILED unreadable line in \(path): \(line)")
                return 2
            }
            acks.append((SequenceNumber(sequence), body, file))
        }
        let store: LMDBEventStore
        do { store = try LMDBEventStore(path: data + "/store", configuration: storeConfiguration()) } catch {
            emit("CHECK FAILED the store does not open: \(error)")
            return 2
        }
        let status = await check(store, acks)
        await store.close()
        return status
    }

    static func check(_ store: LMDBEventStore, _ acks: [(sequence: SequenceNumber, body: SHA256Digest, file: SHA256Digest)]) async -> Int32 {
        do {
            let verified = try store.verify()
            let (lost, differing) = try await store.read { snapshot in
                var lost: [String] = []
                for ack in acks {
                    guard let event = try await snapshot.event(at: ack.sequence) else { lost.append("\(ack.sequence): no event"); continue }
                    guard SHA256.hash(event.body) == ack.body else { lost.append("\(ack.sequence): another body"); continue }
                    guard let bytes = try await snapshot.blob(ack.file), SHA256.hash(bytes) == ack.file else { lost.append("\(ack.sequence): no file"); continue }
                }
                let differing = try await Platform.compareProjections(in: snapshot).filter { !$0.matches }.map(\.space.name)
                return (lost, differing)
            }
            guard lost.isEmpty else {
                emit("CHECK LOST \(lost.count) of \(acks.count): first \(lost[0]), latest=\(store.latestSequence) verified=\(verified.events)")
                return 1
            }
            guard differing.isEmpty else {
                emit("CHECK LOST projections differ from a rebuild: \(differing.joined(separator: ", "))")
                return 1
            }
            emit("CHECK ok acks=\(acks.count) latest=\(store.latestSequence) verified=\(verified.events) projections equal a rebuild")
            return 0
        } catch {
            emit("CHECK FAILED the store does not verify: \(error)")
            return 2
        }
    }
}
