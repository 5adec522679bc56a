import Foundation
import RenkeiAPI
import RenkeiClient
import RenkeiCore
import RenkeiCrypto
import RenkeiMerkle
import RenkeiModel
import Testing

@Suite(.serialized, .timeLimit(.minutes(10))) struct DurabilityAndAuditTests {
    /// A graceful restart under load: every upload acknowledged before it survives; uploads in flight
    /// when the server stopped either completed or were refused whole — every unit the store holds has
    /// all its files, byte for byte.
    @Test func aRestartKeepsEveryAcknowledgedUploadAndNoHalfUnit() async throws {
        let platform = try await TestPlatform()
        let plan = Traffic().plan
        let sender = try await platform.enrol(plan.sender, kind: plan.senderKind)
        let recipient = try await platform.enrol(plan.recipient, kind: plan.recipientKind)
        let units = UnitSource(plan: plan)

        // Eight callers send until the restart begins, so uploads are in flight when the server stops.
        let acknowledged = AcknowledgedUnits(signalAt: 20)
        let load = Task {
            await withTaskGroup(of: Void.self) { group in
                for caller in 0..<8 {
                    group.addTask {
                        for round in 0..<150 where !acknowledged.restarting {
                            guard let receipt = try? await sender.send(units.unit(caller * 150 + round), to: plan.recipient.rawValue, checker: nil) else { continue }
                            acknowledged.add(receipt.unitID)
                        }
                    }
                }
            }
            acknowledged.release()
        }
        await acknowledged.reachedSignal()
        acknowledged.restarting = true
        try await platform.restart()
        await load.value
        #expect(acknowledged.count >= 20)
        // The restarted server takes uploads again, from a connection made after it.
        let reconnected = try platform.client(sender.credential)
        acknowledged.add(try await reconnected.send(units.unit(1_500), to: plan.recipient.rawValue, checker: nil).unitID)

        let again = try platform.client(recipient.credential)
        var stored: [UInt64] = []
        var token = ""
        repeat {
            var request = Renkei_V1_ListMailboxRequest()
            request.pageSize = 500
            request.pageToken = token
            let page = try await again.inbox(request)
            stored += page.units.map(\.unitID)
            token = page.nextPageToken
        } while !token.isEmpty
        #expect(Set(acknowledged.all).isSubset(of: Set(stored)), "every acknowledged upload is stored")
        let expected = Dictionary(uniqueKeysWithValues: plan.outgoing.map { ($0.bytes, true) })
        for unit in stored {
            let (_, files) = try await again.downloadUnit(unit)
            #expect(files.count == plan.outgoing.count, "unit \(unit) is whole")
            #expect(files.allSatisfy { expected[$0.bytes] == true })
        }
        try await platform.platform.verifyProjections().forEach { #expect($0.matches, "\($0.space) differs from its rebuild") }
        for client in [sender, reconnected, recipient, again] { await client.close() }
        await platform.stop()
    }

    /// An auditor exports an office's trail with inclusion proofs that verify against the signed
    /// checkpoint's root, and a consistency proof between two sizes.
    @Test func anAuditorExportsAVerifiableTrail() async throws {
        let platform = try await TestPlatform()
        let plan = Traffic().plan
        let sender = try await platform.enrol(plan.sender, kind: plan.senderKind)
        let recipient = try await platform.enrol(plan.recipient, kind: plan.recipientKind)
        let unit = try await sender.send(plan.outgoing, to: plan.recipient.rawValue).unitID
        try await recipient.acknowledgeDownload(unit: unit)
        let auditor = try platform.client(try await platform.issued(TestPlatform.auditorNumber, role: .auditor))

        var query = Renkei_V1_QueryAuditRequest()
        query.officeNumber = plan.sender.rawValue
        let trail = try await auditor.queryAudit(query)
        #expect(trail.map(\.kindName).contains("sendUnitUploaded"))
        #expect(trail.map(\.kindName).contains("sendUnitDownloaded"))

        var request = Renkei_V1_ExportRequest()
        request.officeNumber = plan.sender.rawValue
        let export = try await auditor.export(request)
        #expect(export.events.map(\.sequence) == trail.map(\.sequence))
        #expect(export.checkpoint.contains("renkei.test/log"))
        let treeSize = try #require(export.events.first?.treeSize)
        let consistency = try await auditor.consistencyProof(from: 1, to: treeSize)
        let root = try #require(SHA256Digest(bytes: consistency.newRoot))
        for event in export.events {
            let proof = event.inclusionProof.compactMap { SHA256Digest(bytes: $0) }
            #expect(MerkleVerifier.verifyInclusion(proof: proof, leafHash: MerkleHash.leaf(Array(event.record)), index: event.sequence - 1,
                                                   size: event.treeSize, root: root), "event \(event.sequence) is in the tree")
        }
        let oldRoot = try #require(SHA256Digest(bytes: consistency.oldRoot))
        #expect(MerkleVerifier.verifyConsistency(proof: consistency.proof.compactMap { SHA256Digest(bytes: $0) }, oldSize: 1, newSize: treeSize,
                                                 oldRoot: oldRoot, newRoot: root))
        for client in [sender, recipient, auditor] { await client.close() }
        await platform.stop()
    }
}

/// The units acknowledged to the callers, a signal once `signalAt` of them are, and whether the server's
/// restart has begun.
final class AcknowledgedUnits: @unchecked Sendable {
    private let lock = NSLock()
    private var units: [UInt64] = []
    private let signalAt: Int
    private var waiter: CheckedContinuation<Void, Never>?
    private var isRestarting = false

    init(signalAt: Int) { self.signalAt = signalAt }

    func add(_ unit: UInt64) {
        let reached: CheckedContinuation<Void, Never>? = lock.withLock {
            units.append(unit)
            guard units.count >= signalAt else { return nil }
            defer { waiter = nil }
            return waiter
        }
        reached?.resume()
    }

    /// Resumes the waiter of `reachedSignal()`: the callers stopped, whether or not `signalAt` were reached.
    func release() { lock.withLock { defer { waiter = nil }; return waiter }?.resume() }

    /// Returns once `signalAt` units are acknowledged, or `release()` is called.
    func reachedSignal() async {
        await withCheckedContinuation { continuation in
            let already = lock.withLock {
                guard units.count < signalAt else { return true }
                waiter = continuation
                return false
            }
            if already { continuation.resume() }
        }
    }

    var restarting: Bool {
        get { lock.withLock { isRestarting } }
        set { lock.withLock { isRestarting = newValue } }
    }
    var count: Int { lock.withLock { units.count } }
    var all: [UInt64] { lock.withLock { units } }
}
