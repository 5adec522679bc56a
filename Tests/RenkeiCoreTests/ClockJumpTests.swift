import Foundation
import RenkeiCore
import RenkeiModel
import RenkeiStore
import Testing

/// The system clock jumping forward and back under a running platform (through the GuardedClock the server
/// uses): event times stay ordered, licences neither expire nor renew early, uploads go on; real time passing
/// still ends a licence year.
@Suite struct ClockJumpTests {
    @Test(arguments: Engine.allCases) func aClockThatJumpsDoesNotExpireLicencesOrReorderTime(engine: Engine) async throws {
        let harness = try await Harness(engine, guarded: true)
        let month = GeneratedMonth()
        let cm = try await harness.enrol(month.careManagementOffice, kinds: [.careManagement])
        let (number, kind) = month.serviceOffices[0]
        let office = try await harness.enrol(number, kinds: [kind])
        let unit = try #require(month.units("KYOTAKU_USAGE").first { $0.recipient == office.number })
        var sent = 0
        func send() async throws {
            sent += 1
            _ = try await harness.platform.upload(try harness.upload(unit.uploadFiles, from: cm, to: office.number, key: "jump-\(sent)"), by: cm.actor)
        }
        try await send()

        // Two years ahead, for a moment: the operator's daily licence run changes nothing; uploads go on.
        harness.clock.jump(days: 800)
        #expect(try await harness.platform.advanceLicenses(by: operatorActor).isEmpty)
        try await send()
        // Back past where it started: times do not go back; uploads go on.
        harness.clock.jump(days: -801)
        try await send()
        harness.clock.advance(seconds: 60)
        try await send()

        let events = try await harness.store.read { snapshot in try await snapshot.events(from: SequenceNumber(1), limit: 10_000) }
        let times = events.map(\.envelope.timestamp)
        #expect(times == times.sorted(), "event times in order")
        #expect(times.last! < Timestamp(rawValue: Harness.start.start.rawValue + 2 * 86_400_000_000), "no event dated in the jumped-to future")

        // A year truly passing ends the licence year: renewed (settled by benefit offset), as without the jumps.
        harness.clock.advance(seconds: 366 * 86_400)
        #expect(try await harness.platform.advanceLicenses(by: operatorActor).count == 2, "both licences renewed once the year passed")
        try await harness.expectRebuildEqualsLive()
        await harness.close()
    }
}
