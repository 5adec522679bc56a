import Foundation
import RenkeiModel
@testable import RenkeiCore
import RenkeiStore
import Testing

/// A unit's files come from its upload event in the log; a store written before version 0.15 also held a
/// copy of each upload in the units key space, which `upgradeProjections` removes.
@Suite("Units read their files from the log") struct ProjectionUpgradeTests {
    @Test("A store with the old upload copies differs from its rebuild until upgraded; units keep their files", arguments: Engine.allCases)
    func upgrade(engine: Engine) async throws {
        let harness = try await Harness(engine)
        let platform = harness.platform
        let month = GeneratedMonth()
        let cm = try await harness.enrol(month.careManagementOffice, kinds: [.careManagement])
        let service = month.serviceOffices[0]
        let office = try await harness.enrol(service.0, kinds: [service.1])
        let plan = month.units("KYOTAKU_USAGE").first { $0.recipient == office.number }!
        let unit = try await platform.upload(try harness.upload(plan.uploadFiles, from: cm, to: office.number), by: cm.actor).unit
        #expect(try await platform.upgradeProjections() == 0, "a store of this version has nothing to upgrade")

        // What the earlier version wrote beside the unit's state: its upload without the signature.
        let event = try #require(try await harness.store.read { try await $0.event(at: unit) })
        var copy = try PBSendUnitUploaded(serializedBytes: event.body)
        copy.signatureDer = Data()
        let legacyKey = Keys.legacyUnitUploadPrefix + withUnsafeBytes(of: unit.rawValue.bigEndian) { Array($0) }
        _ = try await harness.store.commit(StoreWrite(changes: [.put(ProjectionSpaces.units, key: legacyKey, value: try encodeRecord(copy))]))
        let before = try await platform.verifyProjections()
        #expect(before.filter { !$0.matches }.map(\.space) == [ProjectionSpaces.units])

        #expect(try await platform.upgradeProjections() == 1)
        try await harness.expectRebuildEqualsLive()
        #expect(try await platform.upgradeProjections() == 0)

        // The unit's detail, live and in a point-in-time view, lists the files the sender signed.
        let names = plan.uploadFiles.map(\.name).sorted()
        let live = try #require(try await platform.query { try await $0.unit(unit) })
        #expect(live.upload.files.map(\.name).sorted() == names && live.upload.signatureDer.isEmpty)
        let then = try #require(try await platform.view(asOf: unit).queries.unit(unit))
        #expect(then == live)
        let downloaded = try await platform.download(unit, by: office.actor)
        #expect(downloaded.files.map(\.name).sorted() == names)
        await harness.close()
    }
}
