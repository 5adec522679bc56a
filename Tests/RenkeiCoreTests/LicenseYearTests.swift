import RenkeiCore
import RenkeiModel
import RenkeiStore
import Testing

@Suite("Licences across simulated years")
struct LicenseYearTests {
    @Test("Auto-renewal, cancellation, suspension and expiry, run day by day over two years", arguments: Engine.allCases)
    func twoYears(engine: Engine) async throws {
        let world = try await RefusalWorld(engine)
        let platform = world.platform
        let clock = world.harness.clock
        // The 居宅 office started in the free-pass campaign; a renews; b cancels in its first year.
        try await platform.cancelLicense(for: world.b.number, reason: "事業所を閉じる予定", by: world.b.actor)
        var renewed: [CivilDay] = [], expired: [CivilDay] = []
        var suspendedAt: CivilDay?
        for _ in 0..<(2 * 366) {
            clock.advance(days: 1)
            let today = clock.today
            // In the second year the service office a is suspended for a month, then reinstated.
            if today == CivilDay(year: 2028, month: 6, day: 1) {
                try await platform.suspendLicense(for: world.a.number, reason: "未払い", by: operatorActor)
                suspendedAt = today
            }
            if today == CivilDay(year: 2028, month: 7, day: 1) { try await platform.reinstateLicense(for: world.a.number, by: operatorActor) }
            for event in try await platform.advanceLicenses() {
                switch event {
                case .licenseRenewed(let e) where e.officeNumber == world.a.number.rawValue: renewed.append(today)
                case .licenseExpired(let e) where e.officeNumber == world.b.number.rawValue: expired.append(today)
                default: break
                }
            }
            // b may send until its period ends, and not after.
            if today == CivilDay(year: 2028, month: 3, day: 31) || today == CivilDay(year: 2028, month: 4, day: 1) {
                let request = try world.harness.upload(world.actual(from: world.b), from: world.b, to: world.cm.number)
                if today.yyyymmdd == 20280331 {
                    #expect(try await !platform.upload(request, by: world.b.actor).isRepeat)
                } else {
                    await expectRefusal(.senderNotLicensed) { try await platform.upload(request, by: world.b.actor) }
                }
            }
            // a may not send while suspended.
            if today == CivilDay(year: 2028, month: 6, day: 15) {
                let request = try world.harness.upload(world.actual(from: world.a), from: world.a, to: world.cm.number)
                await expectRefusal(.senderNotLicensed) { try await platform.upload(request, by: world.a.actor) }
            }
        }
        #expect(renewed == [CivilDay(year: 2028, month: 4, day: 1)!, CivilDay(year: 2029, month: 4, day: 1)!])
        #expect(expired == [CivilDay(year: 2028, month: 4, day: 1)!])
        #expect(suspendedAt != nil)
        try await platform.query { q in
            let a = try #require(try await q.license(world.a.number.rawValue))
            #expect(a.status == .active && a.periodStart.yyyymmdd == 20290401 && a.periodEnd.yyyymmdd == 20300401)
            let b = try #require(try await q.license(world.b.number.rawValue))
            #expect(b.status == .expired && b.cancelled)
            let first = try await q.billingStatement(of: world.a.number.rawValue, fiscalYear: 2027)
            let second = try await q.billingStatement(of: world.a.number.rawValue, fiscalYear: 2028)
            #expect(first.charges.count == 1 && first.owedYen == 21_000 && first.offsetYen == 21_000)
            #expect(second.charges.count == 1 && second.owedYen == 21_000)
            let none = try await q.billingStatement(of: world.b.number.rawValue, fiscalYear: 2028)
            #expect(none.charges.isEmpty)
        }
        try await world.harness.expectRebuildEqualsLive()
        await world.harness.close()
    }

    @Test("A waived free-pass year owes nothing; its renewal is offset against benefit payments")
    func freePass() async throws {
        let harness = try await Harness(.memory)
        let office = try await harness.enrol(OfficeNumber(rawValue: "2710000001")!, kinds: [.careManagement], prefecture: 27, settlement: .waived)
        harness.clock.advance(days: 366)
        let events = try await harness.platform.advanceLicenses()
        #expect(events.count == 1)
        try await harness.platform.query { q in
            let waived = try await q.billingStatement(of: office.number.rawValue, fiscalYear: 2027)
            #expect(waived.owedYen == 0 && waived.waivedYen == 21_000)
            let next = try await q.billingStatement(of: office.number.rawValue, fiscalYear: 2028)
            #expect(next.owedYen == 21_000 && next.offsetYen == 21_000)
            let directory = try await q.directory(DirectoryQuery(prefecture: 27, serviceKind: "43"))
            #expect(directory.map(\.officeNumber) == [office.number.rawValue])
        }
    }
}
