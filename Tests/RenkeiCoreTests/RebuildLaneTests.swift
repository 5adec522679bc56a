import RenkeiModel
@testable import RenkeiCore
import RenkeiStore
import Testing

/// The rebuild's lanes cover what the live platform folds: every projection in a lane, none in two (but the
/// exchange, in its two shares of the units), and no key space written by two lanes' projections.
@Suite struct RebuildLaneTests {
    @Test func everyProjectionFoldsInExactlyOneLane() {
        let lanes = RebuildLane.all
        #expect(Set(lanes.flatMap { $0.projections.map(\.name) }) == Set(allProjections.map(\.name)))
        let unshared = lanes.filter { $0.share == nil }.flatMap { $0.projections.map(\.name) }
        #expect(unshared.count == Set(unshared).count, "a projection in two lanes")
        let shared = lanes.filter { $0.share != nil }
        #expect(Set(shared.flatMap { $0.projections.map(\.name) }) == ["exchange"], "only the exchange splits by unit")
        #expect(Set(shared.map { $0.share!.index }) == Set(0 ..< shared[0].share!.count), "the shares cover every unit")
        let spaces = lanes.filter { $0.share == nil || $0.share!.index == 0 }.flatMap { $0.projections.flatMap(\.keySpaces) }
        #expect(spaces.count == Set(spaces).count, "a key space written by two lanes")
        #expect(Set(spaces) == Set(ProjectionSpaces.all))
    }

    /// An event that does not decode, pages into the log, ends the rebuild with its error while the lanes are
    /// folding the pages before it: nothing waits forever, and the view is not made from half the log.
    @Test func anEventThatDoesNotDecodeEndsTheRebuild() async throws {
        let harness = try await Harness(.memory)
        let month = GeneratedMonth()
        for (number, kind) in month.serviceOffices.prefix(4) { _ = try await harness.enrol(number, kinds: [kind]) }
        let damaged = NewEvent(kind: .sendUnitUploaded, body: [0x0A, 0xFF], actor: .system, requestID: .random())
        _ = try await harness.store.commit(StoreWrite(events: [damaged]))
        let damagedAt = harness.store.latestSequence
        _ = try await harness.enrol(month.careManagementOffice, kinds: [.careManagement])
        let end = harness.store.latestSequence
        await #expect(throws: (any Error).self) {
            try await harness.store.read { try await Platform.rebuild(through: end, in: $0, pageSize: 2) }
        }
        // Up to the event before it, the rebuild is whole.
        let before = try await harness.store.read { snapshot in
            try await Platform.rebuild(through: SequenceNumber(damagedAt.rawValue - 1), in: snapshot, pageSize: 2)
        }
        #expect(before.through.rawValue == damagedAt.rawValue - 1 && damagedAt < end)
        await harness.close()
    }
}
