import Foundation
import Testing

/// The server killed with SIGKILL twenty times while eight clients upload (`renkei-load kills`): after each
/// kill the store opens from its folder and verifies (record hashes, Merkle root, every projection equal to a
/// rebuild), and after each restart every acknowledged upload is in the sender's 送信済 and a repeat of the
/// newest gives back the same unit.
@Suite(.timeLimit(.minutes(10))) struct KillTests {
    @Test func twentyKillsUnderLoadLoseNothingAcknowledged() async throws {
        let folder = try Programs.temporaryFolder("kills")
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = try await Programs.run("renkei-load", ["kills", "--rounds", "20", "--clients", "8"], in: folder)
        try #require(run.status == 0, "\(run)")
        struct Summary: Decodable { let rounds: Int; let acknowledged: Int; let events: Int; let lost: Int; let stores_not_verified: Int; let repeats_same_unit: Int }
        let summary = try JSONDecoder().decode(Summary.self, from: Data(run.output.utf8))
        #expect(summary.rounds == 20 && summary.lost == 0 && summary.stores_not_verified == 0 && summary.repeats_same_unit == 20, "\(run)")
        // Under load: every round's kill came after its first five acknowledgements; the log holds them all.
        #expect(summary.acknowledged >= 20 * 5 && summary.events >= summary.acknowledged, "\(run)")
        #expect(run.error.split(separator: "\n").filter { $0.hasPrefix("round ") }.count == 20, "a progress line per round")
    }
}
