import CarePlanStandard
import Foundation
import RenkeiCore
import RenkeiCrypto
import RenkeiModel
import RenkeiStore
import Testing

/// SplitMix64: the run's only source of chance, so a failing seed can be replayed.
struct TestRandom {
    private var generator: SplitMix64
    init(seed: UInt64) { generator = SplitMix64(seed: seed) }
    mutating func next() -> UInt64 { generator.next() }
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
}

@Suite("A seeded random year of commands")
struct RandomRunTests {
    /// At least 10,000 commands (3,000 on PostgreSQL, where each command's reads are network round trips),
    /// valid and invalid, from several offices over a simulated year: afterwards every projection rebuilt from
    /// the log equals the live one byte for byte, and the point-in-time view at each recorded sequence equals
    /// the live state as it was then.
    @Test("10,000 commands: rebuild equals live, and point-in-time views equal the past",
          arguments: [(Engine.memory, 10_000), (.lmdb, 10_000), (.postgres, 3_000)])
    func randomYear(engine: Engine, count: Int) async throws {
        let harness = try await Harness(engine)
        let platform = harness.platform
        var random = TestRandom(seed: 20_270_401)

        // Two care-planning offices and two 地域包括支援センター with their service offices, from two generated
        // months of every kind of unit (so every layout travels).
        let months = [GeneratedMonth(seed: 11, users: 2), GeneratedMonth(seed: 12, users: 2)]
        var offices: [OfficeNumber: TestOffice] = [:]
        for month in months {
            let cm = month.careManagementOffice
            if offices[cm] == nil { offices[cm] = try await harness.enrol(cm, kinds: [.careManagement], prefecture: 13) }
            let center = month.preventionCenter
            if offices[center] == nil { offices[center] = try await harness.enrol(center, kinds: [ServiceKindCode(rawValue: "46")!], prefecture: 13) }
            for (number, kind) in month.serviceOffices where offices[number] == nil {
                offices[number] = try await harness.enrol(number, kinds: [kind], prefecture: 1 + random.below(47))
            }
        }
        // Every unit, signed once (the idempotency key is not signed, so each send gets a new one).
        let signed = try months.flatMap(\.units).map { unit in
            try harness.upload(unit.uploadFiles, from: offices[unit.sender]!, to: unit.recipient, key: "k")
        }
        let numbers = offices.keys.sorted()
        var units: [(unit: SequenceNumber, sender: OfficeNumber, recipient: OfficeNumber)] = []
        var history: [(sequence: SequenceNumber, digests: [KeySpace: SHA256Digest])] = []
        var outcomes: [String: Int] = [:]
        var day = harness.clock.today

        var commands = 0
        // The same simulated year whatever the count.
        let step = 6_300 * 10_000 / count
        while commands < count {
            harness.clock.advance(seconds: Int64(random.below(step)))
            if harness.clock.today != day {
                day = harness.clock.today
                try await platform.advanceLicenses()
                try await platform.applyRetention()
                commands += 2
            }
            let roll = random.below(100)
            do {
                switch roll {
                case 0..<35:
                    var request = random.pick(signed)
                    let sender = OfficeNumber(rawValue: String(decoding: try SendUnitManifest(canonicalBytes: request.manifest).sender.utf8, as: UTF8.self))!
                    request.idempotencyKey = "k\(random.below(30_000))"
                    if random.chance(10), !request.files[0].bytes.isEmpty { request.files[0].bytes[request.files[0].bytes.count / 2] ^= 0x20 }
                    let receipt = try await platform.upload(request, by: .office(sender))
                    if !receipt.isRepeat { units.append((receipt.unit, sender, request.recipient)) }
                case 35..<60 where !units.isEmpty:
                    // Mostly recent units: the ones an office would still download.
                    let unit = random.chance(80) ? random.pick(Array(units.suffix(40))) : random.pick(units)
                    let by = random.chance(85) ? unit.recipient : random.pick(numbers)
                    _ = try await platform.download(unit.unit, by: .office(by))
                case 60..<66 where !units.isEmpty:
                    let unit = random.pick(units)
                    let by = random.chance(80) ? unit.sender : random.pick(numbers)
                    try await platform.withdraw(unit.unit, reason: "訂正のため", by: .office(by))
                case 66..<70:
                    let office = random.pick(numbers)
                    switch random.below(12) {
                    case 0: try await platform.suspendLicense(for: office, reason: "確認中", by: operatorActor)
                    case 1...5: try await platform.reinstateLicense(for: office, by: operatorActor)
                    case 6: try await platform.cancelLicense(for: office, reason: "", by: .office(office))
                    default: try await platform.activateLicense(for: office, by: operatorActor)
                    }
                case 70..<73:
                    let office = random.pick(numbers)
                    let details = OfficeDetails(name: "事業所\(random.below(1000))", serviceKinds: offices[office]!.kinds, prefecture: 1 + random.below(47))
                    try await platform.changeOfficeDetails(of: office, to: details, by: random.chance(50) ? operatorActor : .office(office))
                case 73..<76:
                    let office = OfficeNumber(rawValue: "47\(String(100_000_000 + random.below(50)).suffix(8))")!
                    switch random.below(3) {
                    case 0:
                        try await platform.requestRegistration(of: office, details: OfficeDetails(name: "新規\(office)", serviceKinds: [.careManagement], prefecture: 47), billingLoginID: "N\(office)", by: .office(office))
                    case 1: try await platform.approveRegistration(of: office, by: operatorActor)
                    default: try await platform.rejectRegistration(of: office, reason: "書類不備", by: operatorActor)
                    }
                case 76..<78:
                    let office = random.pick(numbers)
                    let credential = try harness.credential(for: office)
                    try await platform.recordCertificateIssued(credential.certificate, by: operatorActor)
                    if random.chance(50) { try await platform.revokeCertificate(serial: credential.certificate.serialNumber, reason: "更新", by: operatorActor) }
                case 78..<79:
                    try await platform.signCheckpoint()
                case 79..<80:
                    try await platform.setRetentionPolicy(RetentionPolicy(downloadedDays: UInt32(30 + random.below(60)), undownloadedDays: UInt32(90 + random.below(200))), by: operatorActor)
                default:
                    // A query mix, which must change nothing.
                    let office = random.pick(numbers).rawValue
                    _ = try await platform.query { q in try await q.mailbox(of: office, .inbox, filter: MailboxFilter(status: .unread), limit: 20) }
                }
                outcomes["ok", default: 0] += 1
            } catch let error as DomainError {
                outcomes["\(error.code)", default: 0] += 1
            }
            commands += 1
            if commands >= (history.count + 1) * count / 10 { history.append((harness.store.latestSequence, try await platform.liveDigests())) }
        }

        print("random run on \(engine): \(commands) commands, \(units.count) units, outcomes \(outcomes.sorted { $0.key < $1.key })")
        // The run did real work, and refused what it should.
        #expect(units.count > count / 10, "\(outcomes)")
        let types = try await harness.store.read { snapshot in
            Set(try await snapshot.allEntries(in: ProjectionSpaces.units, from: Array("s".utf8), to: Array("t".utf8)).map { try PBUnitRecord(serializedBytes: $0.value).upload.definitionID })
        }
        #expect(types.count >= 10, "unit kinds uploaded: \(types.sorted())")
        #expect(outcomes["ok", default: 0] > count / 2 && outcomes.count > 8, "\(outcomes)")
        #expect(harness.clock.today > Harness.start.adding(days: 250), "most of a year passed")

        try await harness.expectRebuildEqualsLive()
        for (sequence, digests) in history.prefix(4) {
            let view = try await platform.view(asOf: sequence)
            #expect(view.through == sequence)
            #expect(view.digests == digests, "the view at \(sequence) differs from the live state then")
        }
        // By time: the view at the timestamp of a recorded sequence is the state right after the last event at that time.
        let (sequence, digests) = history[1]
        let time = try await harness.store.read { try await $0.event(at: sequence)!.envelope.timestamp }
        let view = try await platform.view(asOf: time)
        if view.through == sequence { #expect(view.digests == digests) }
        await harness.close()
    }
}
