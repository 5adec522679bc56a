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
