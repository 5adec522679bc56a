import CarePlanStandard
import RenkeiCore
import RenkeiModel
import RenkeiStore
import RenkeiZstd
import Testing

@Suite("Dictionaries and the standard's office rules through the platform")
struct PlatformSettingsTests {
    @Test("An installed dictionary compresses later uploads of its kind; the files still come back byte for byte", arguments: Engine.allCases)
    func dictionary(engine: Engine) async throws {
        let world = try await RefusalWorld(engine)
        let samples = (0..<40).compactMap { CarePlanGenerator(seed: UInt64(900 + $0)).file(kind: .usagePlan, approximateByteCount: 4 << 10)?.bytes }
        let dictionary = try ZstdDictionary.train(samples: samples, capacity: 16 << 10)
        let id = try await world.platform.installDictionary(dictionary.bytes, forKind: "UPPLAN", by: operatorActor)
        #expect(id == dictionary.id)
        let unit = try await world.platform.upload(try world.harness.upload(world.plan(to: world.a), from: world.cm, to: world.a.number), by: world.cm.actor).unit
        let files = try await world.platform.download(unit, by: world.a.actor).files
        #expect(files.sorted { $0.name < $1.name } == world.plan(to: world.a).sorted { $0.name < $1.name })
        try await world.expectRefused(.invalidArgument) { try await world.platform.installDictionary(Array("not a dictionary".utf8), forKind: "UPPLAN", by: operatorActor) }
        try await world.expectRefused(.notAuthorized) { try await world.platform.installDictionary(dictionary.bytes, forKind: "UPPLAN", by: world.cm.actor) }
        try await world.harness.expectRebuildEqualsLive()
        await world.harness.close()
    }

    @Test("A 第1表 that names another 介護支援事業者 is refused by the platform (1008, OFFICE-1)")
    func up1kyoNamesTheSender() async throws {
        let world = try await RefusalWorld()
        let unit = world.month.units("KYOTAKU_PLAN").first { $0.recipient == world.a.number }!
        let index = StandardDefinition.v41.layout(of: .plan1)!.index(of: "careManagementOfficeNo")!
        let files = try unit.files.map { file in
            guard file.kind == .plan1 else { return UploadFile(name: file.fileName, bytes: file.bytes) }
            var records = file.records
            records[0][index] = "1399999999"
            return UploadFile(name: file.fileName, bytes: try CarePlanWriter.bytes(of: records, kind: .plan1))
        }
        let request = try world.harness.upload(files, from: world.cm, to: world.a.number)
        let error = await expectRefusal(.validationFailed) { try await world.platform.upload(request, by: world.cm.actor) }
        #expect(error?.detail.contains("OFFICE-1") == true)
    }
}

@Suite("Concurrent commands")
struct ConcurrencyTests {
    @Test("Sixteen concurrent uploads under one idempotency key store one unit; every caller gets its receipt", arguments: Engine.allCases)
    func oneKeyManyCallers(engine: Engine) async throws {
        let world = try await RefusalWorld(engine)
        let request = try world.harness.upload(world.plan(to: world.a), from: world.cm, to: world.a.number, key: "same-key")
        let end = world.harness.store.latestSequence
        let receipts = try await withThrowingTaskGroup(of: UploadReceipt.self) { group in
            for _ in 0..<16 { group.addTask { try await world.platform.upload(request, by: world.cm.actor) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(receipts.map(\.unit)).count == 1)
        #expect(receipts.filter { !$0.isRepeat }.count == 1)
        #expect(world.harness.store.latestSequence == end.next)
        try await world.harness.expectRebuildEqualsLive()
        await world.harness.close()
    }

    @Test("Concurrent downloads and a withdrawal of one unit: the withdrawal wins only before the first download", arguments: Engine.allCases)
    func raceOfDownloadAndWithdrawal(engine: Engine) async throws {
        let world = try await RefusalWorld(engine)
        let unit = try await world.platform.upload(try world.harness.upload(world.plan(to: world.a), from: world.cm, to: world.a.number), by: world.cm.actor).unit
        async let withdrawal: Result<SequenceNumber, DomainError> = { () async -> Result<SequenceNumber, DomainError> in
            do { return .success(try await world.platform.withdraw(unit, reason: "訂正", by: world.cm.actor)) } catch let error as DomainError {
                return .failure(error)
            } catch { return .failure(DomainError(.storage, "\(error)")) }
        }()
        async let acknowledgements: [Bool] = withTaskGroup(of: Bool.self) { group in
            for _ in 0..<4 {
                group.addTask { (try? await world.platform.acknowledgeDownload(unit, by: world.a.actor)) != nil }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let (withdrawn, downloaded) = await (withdrawal, acknowledgements)
        let record = try #require(try await world.platform.query { try await $0.unit(unit) })
        switch withdrawn {
        case .success:
            // Withdrawn first: no download came before it, and none may follow it.
            #expect(record.status == .withdrawn && record.history.map(\.status) == [.unread, .withdrawn])
            #expect(!downloaded.contains(true))
        case .failure(let error):
            #expect(error.code == .alreadyDownloaded)
            #expect(record.status == .downloaded && downloaded.contains(true))
            #expect(record.history.filter { $0.status == .downloaded }.count == downloaded.filter { $0 }.count)
        }
        try await world.harness.expectRebuildEqualsLive()
        await world.harness.close()
    }
}
