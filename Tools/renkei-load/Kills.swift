import ArgumentParser
import Foundation
import RenkeiAPI
import RenkeiClient
import RenkeiHost
import RenkeiModel
import Synchronization

// MARK: - kill -9 under load

/// `renkei-load kills`: the server child killed with SIGKILL at a random moment while clients upload, again
/// and again. After each kill, with the server down, the store is opened from its folder and verified (record
/// hashes, the Merkle root, every projection equal to a rebuild from the log); then a new server recovers it,
/// and every upload a client saw acknowledged must be listed in the sender's 送信済, and sending one again with
/// its idempotency key must give back the same unit. Prints a progress line per round (standard error) and one
/// line of JSON at the end; exits 1 when anything acknowledged was lost or a store did not verify.
struct Kills: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kills", abstract: "kill -9 of the server under load, verified after each.")
    @Option(help: "Kills.") var rounds = 20
    @Option(help: "Concurrent uploading clients.") var clients = 8
    @Option(help: "The kill comes between this many and twice as many milliseconds after the round's first acknowledgements.") var after = 300
    @Option(help: "Acknowledgements each round waits for before its kill may come (so every round cuts real load, however slow the machine).")
    var acknowledgedFirst = 5
    @Option(help: "Seed of the kill moments.") var seed: UInt64 = 20_261_130

    func run() async throws {
        let platform = try await LoadPlatform(units: 200)
        var random = SplitMix64(seed: seed)
        let acknowledged = Acknowledged()
        let counter = Counter()
        var lost: [UInt64] = [], unverified: [String] = [], repeats = 0, events: UInt64 = 0
        let started = ContinuousClock.now
        for round in 1...rounds {
            // Load: each client uploads until the server dies under it.
            let connections = try (0..<clients).map { _ in try platform.client(platform.sender) }
            let units = platform.units, recipient = platform.recipientNumber
            let (acks, ack) = AsyncStream<Void>.makeStream()
            let load = Task { [connections] in
                await withTaskGroup(of: Void.self) { group in
                    for connection in connections {
                        group.addTask {
                            while true {
                                let n = counter.next()
                                let key = "kills-\(n)"
                                guard let receipt = try? await connection.send(units[n % units.count], to: recipient,
                                                                              idempotencyKey: key, checker: nil) else { return }
                                acknowledged.units.withLock { $0[receipt.unitID] = key }
                                ack.yield()
                            }
                        }
                    }
                }
                ack.finish()
            }
            // The cut comes at a random moment of the load, once the round has had its first acknowledgements.
            var acknowledgedThisRound = 0
            for await _ in acks {
                acknowledgedThisRound += 1
                if acknowledgedThisRound == acknowledgedFirst { break }
            }
            try await Task.sleep(for: .milliseconds(after + Int(random.next() % UInt64(max(1, after)))))
            platform.killServer()
            await load.value
            for connection in connections { await connection.close() }

            // The store as the crash left it, opened from its folder with no server: verified whole.
            let verification = try await StoreMaintenance.with(data: platform.folder.path) { try await $0.verify() }
            events = verification.events
            if !verification.matches {
                unverified.append("round \(round): " + verification.projections.filter { !$0.matches }.map(\.name).joined(separator: ", "))
            }

            // A new server: everything acknowledged is there, and a repeat gives back the same unit.
            try platform.restartServer()
            let sender = try platform.client(platform.sender)
            let listed = Set(try await sender.allUnits(inbox: false, limit: 1_000_000).map(\.unitID))
            let seen = acknowledged.units.withLock { $0 }
            lost.append(contentsOf: seen.keys.filter { !listed.contains($0) })
            if let (unit, key) = seen.max(by: { $0.key < $1.key }) {
                let again = try await sender.send(platform.units[(Int(key.dropFirst(6)) ?? 0) % platform.units.count], to: platform.recipientNumber,
                                                  idempotencyKey: key, checker: nil)
                if again.unitID == unit, again.repeat { repeats += 1 } else { lost.append(unit) }
            }
            await sender.close()
            FileHandle.standardError.write(Data("round \(round)/\(rounds): \(seen.count) acknowledged in all, \(events) events, store verified: \(verification.matches), lost: \(lost.count)\n".utf8))
        }
        let acked = acknowledged.units.withLock { $0.count }
        await platform.stop()
        emit(json([("rounds", rounds), ("acknowledged", acked), ("events", Int(events)), ("lost", lost.count),
                   ("stores_not_verified", unverified.count), ("repeats_same_unit", repeats),
                   ("seconds", (ContinuousClock.now - started) / .seconds(1))]))
        guard lost.isEmpty, unverified.isEmpty else {
            FileHandle.standardError.write(Data("LOST \(lost.prefix(20)) NOT VERIFIED \(unverified)\n".utf8))
            throw ExitCode(1)
        }
    }
}

/// The uploads the clients saw acknowledged: unit → idempotency key.
final class Acknowledged: Sendable {
    let units = Mutex<[UInt64: String]>([:])
}
