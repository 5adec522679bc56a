import CarePlanStandard
import RenkeiCore
import RenkeiModel
import RenkeiStore
import Testing

/// The twelve steps of DESIGN.md: 予定 from one 居宅 office to two service offices, their downloads, 実績
/// back and its download; after each step every projection is checked, and equals its rebuild.
@Suite("The twelve steps") struct ScenarioTests {
    @Test("予定 out to two service offices, 実績 back, every projection checked after each step", arguments: Engine.allCases)
    func twelveSteps(engine: Engine) async throws {
        let harness = try await Harness(engine)
        let platform = harness.platform
        let month = GeneratedMonth()
        let cm = try await harness.enrol(month.careManagementOffice, kinds: [.careManagement], prefecture: 13)
        let services = Array(month.serviceOffices.prefix(2))
        let a = try await harness.enrol(services[0].0, kinds: [services[0].1], prefecture: 13)
        let b = try await harness.enrol(services[1].0, kinds: [services[1].1], prefecture: 14)
        try await harness.expectRebuildEqualsLive()

        // Steps 1–3: the 居宅 office signs and sends each service office its 予定 (UPPLAN, UPSIKYU, UPHOSOKU).
        var plans: [OfficeNumber: SequenceNumber] = [:]
        for office in [a, b] {
            let unit = month.units("KYOTAKU_USAGE").first { $0.recipient == office.number }!
            let receipt = try await platform.upload(try harness.upload(unit.uploadFiles, from: cm, to: office.number), by: cm.actor)
            #expect(receipt.unitType == .plan && !receipt.isRepeat)
            plans[office.number] = receipt.unit
            harness.clock.advance(seconds: 60)
        }
        try await platform.query { q in
            let sent = try await q.mailbox(of: cm.number.rawValue, .sent)
            #expect(sent.entries.map(\.partner) == [a.number.rawValue, b.number.rawValue])
            #expect(sent.entries.allSatisfy { $0.status == .unread && $0.unitType == .plan && $0.serviceMonth == "202705" && $0.fileCount == 3 })
            for office in [a, b] {
                let inbox = try await q.mailbox(of: office.number.rawValue, .inbox)
                #expect(inbox.entries.count == 1 && inbox.entries[0].partner == cm.number.rawValue && inbox.entries[0].status == .unread)
            }
            let usage = try await q.usage(of: cm.number.rawValue, month: "202705")
            #expect(usage.sent.units == 2 && usage.sent.files == 6 && usage.received.units == 0)
            #expect(try await q.audit(of: a.number.rawValue).last?.kind == .sendUnitUploaded)
        }
        try await harness.expectRebuildEqualsLive()

        // Steps 4–6: each service office sees the unit arrive and downloads it; the download is acknowledged.
        let beforeDownloads = harness.store.latestSequence
        for office in [a, b] {
            let unit = plans[office.number]!
            let original = month.units("KYOTAKU_USAGE").first { $0.recipient == office.number }!.uploadFiles
            let downloaded = try await platform.download(unit, by: office.actor)
            #expect(downloaded.files.sorted { $0.name < $1.name } == original.sorted { $0.name < $1.name })
            harness.clock.advance(seconds: 3600)
            try await platform.query { q in
                let record = try #require(try await q.unit(unit))
                #expect(record.status == .downloaded && record.firstDownloadMicros > record.uploadedMicros)
                #expect(record.history.map(\.status) == [.unread, .downloaded])
                #expect(try await q.mailbox(of: office.number.rawValue, .inbox).entries.map(\.status) == [.downloaded])
            }
            try await harness.expectRebuildEqualsLive()
        }
        try await platform.query { q in
            // The sender's audit lists both downloads of its units.
            let trail = try await q.audit(of: cm.number.rawValue)
            #expect(trail.filter { $0.kind == .sendUnitDownloaded }.count == 2)
            let sent = try await q.mailbox(of: cm.number.rawValue, .sent)
            #expect(sent.entries.map(\.status) == [.downloaded, .downloaded])
        }
        // The platform as it was before the downloads: both units still 未読.
        let then = try await platform.view(asOf: beforeDownloads)
        let sentThen = try await then.queries.mailbox(of: cm.number.rawValue, .sent)
        #expect(sentThen.entries.map(\.status) == [.unread, .unread])

        // Steps 7–12: 実績 back from one service office to the 居宅 office, and its download there.
        let actual = month.units("SERVICE_ACTUAL").first { $0.sender == a.number }!
        let receipt = try await platform.upload(try harness.upload(actual.uploadFiles, from: a, to: cm.number), by: a.actor)
        #expect(receipt.unitType == .actual)
        try await platform.query { q in
            let inbox = try await q.mailbox(of: cm.number.rawValue, .inbox)
            #expect(inbox.entries.map(\.unit) == [receipt.unit.rawValue] && inbox.entries[0].status == .unread)
            #expect(try await q.mailbox(of: cm.number.rawValue, .inbox, filter: MailboxFilter(status: .downloaded)).entries.isEmpty)
            #expect(try await q.mailbox(of: a.number.rawValue, .sent, filter: MailboxFilter(unitType: .actual)).entries.count == 1)
        }
        try await harness.expectRebuildEqualsLive()
        let files = try await platform.download(receipt.unit, by: cm.actor)
        #expect(files.files.map(\.bytes) == actual.uploadFiles.map(\.bytes))
        try await platform.query { q in
            #expect(try await q.mailbox(of: cm.number.rawValue, .inbox).entries.map(\.status) == [.downloaded])
            let usage = try await q.usage(of: cm.number.rawValue, month: "202705")
            #expect(usage.received.units == 1 && usage.received.unitsByPartner[a.number.rawValue] == 1)
            let statistics = try await q.sentByPrefecture(month: "202705")
            #expect(statistics[13]?.units == 3)
        }
        try await harness.expectRebuildEqualsLive()
        await harness.close()
    }
}
