import CarePlanStandard
import Foundation
import RenkeiCore
import RenkeiCrypto
import RenkeiLog
import RenkeiModel
import RenkeiPostgres
import RenkeiStore
import Synchronization
import Testing

/// The engines the domain's tests run on (PostgreSQL: the server `Tools/dev test` starts, its URL in
/// RENKEI_TEST_POSTGRES; a schema per platform).
enum Engine: String, CaseIterable, CustomStringConvertible, Sendable {
    case memory, lmdb, postgres
    var description: String { rawValue }
}

/// A clock the tests move: the platform's and the store's notion of now. `advance` is time passing (the wall
/// clock and the elapsed time move together); `jump` steps the wall clock alone, as a mis-set clock does.
final class SimulatedClock: Sendable {
    private let micros: Mutex<Int64>
    private let elapsed = Mutex<Int64>(0)

    /// Starts at `day` 09:00 in Japan.
    init(startingOn day: CivilDay) { micros = Mutex(day.start.rawValue + 9 * 3_600_000_000) }

    func now() -> Timestamp { Timestamp(rawValue: micros.withLock { $0 }) }
    /// Microseconds passed since the start (what a monotonic clock measures).
    func monotonic() -> Int64 { elapsed.withLock { $0 } }
    func jump(days: Int) { micros.withLock { $0 += Int64(days) * 86_400_000_000 } }
    var today: CivilDay { CivilDay(now()) }
    var date: Date { Date(timeIntervalSince1970: Double(now().rawValue) / 1_000_000) }

    func advance(seconds: Int64) {
        micros.withLock { $0 += seconds * 1_000_000 }
        elapsed.withLock { $0 += seconds * 1_000_000 }
    }
    func advance(days: Int) { advance(seconds: Int64(days) * 86_400) }
}

/// An office the tests enrolled: its number, kinds and signing credential.
struct TestOffice: Sendable {
    let number: OfficeNumber
    let kinds: [ServiceKindCode]
    let credential: Credential
    var actor: Actor { .office(number) }
}

let operatorActor = Actor.operator("operator-1")

/// A platform on a fresh store of `engine`, with a CA, a simulated clock and helpers to enrol offices and
/// build signed uploads. Removes its folder when released.
final class Harness: @unchecked Sendable {
    let engine: Engine
    let clock: SimulatedClock
    let ca: PlatformCA
    let store: any EventStore
    let platform: Platform
    private let folder: String?

    static let start = CivilDay(year: 2027, month: 4, day: 1)!

    /// `guarded`: the platform and the store read the simulated wall clock through a ``GuardedClock``, as
    /// `renkei-server` does.
    init(_ engine: Engine, startingOn day: CivilDay = Harness.start, signCheckpoints: Bool = true, guarded: Bool = false) async throws {
        self.engine = engine
        let clock = SimulatedClock(startingOn: day)
        self.clock = clock
        let then = clock.date
        ca = try PlatformCA.generate(name: "Renkei Test", now: then - 90 * 86_400)
        let crl = try ca.makeRevocationList(revoked: [], number: 1, thisUpdate: then - 86_400, nextUpdate: then + 3 * 366 * 86_400)
        let trust = try TrustStore(platform: ca, revocationList: crl)
        let guardClock = GuardedClock(wall: { clock.now() }, monotonic: { clock.monotonic() })
        let now: @Sendable () -> Timestamp
        if guarded { now = { guardClock.now() } } else { now = { clock.now() } }
        switch engine {
        case .memory:
            store = InMemoryEventStore(keySpaces: Platform.keySpaces, clock: now)
            folder = nil
        case .lmdb:
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("renkei-core-\(UUID().uuidString)").path
            var configuration = LMDBEventStore.Configuration()
            configuration.keySpaces = Platform.keySpaces
            configuration.mapSize = 1 << 32
            configuration.writeAheadLogSize = 8 << 20
            configuration.checkpointInterval = .milliseconds(50)
            configuration.clock = now
            store = try LMDBEventStore(path: path, configuration: configuration)
            folder = path
        case .postgres:
            guard let url = ProcessInfo.processInfo.environment["RENKEI_TEST_POSTGRES"], !url.isEmpty else {
                throw StoreError(.unavailable, "RENKEI_TEST_POSTGRES is not set: run the tests with Tools/dev test, which starts a PostgreSQL 15 server for them")
            }
            var configuration = try PostgresEventStore.Configuration(url: url)
            configuration.schema = "core_" + UUID().uuidString.prefix(13).lowercased().replacingOccurrences(of: "-", with: "")
            configuration.keySpaces = Platform.keySpaces
            configuration.maximumConnections = 4
            configuration.clock = now
            store = try await PostgresEventStore.open(configuration)
            folder = nil
        }
        let signer = signCheckpoints ? CheckpointSigner(key: try PrivateKey.generate(), keyName: "renkei-test", origin: "renkei.test/log") : nil
        platform = try Platform(store: store, configuration: PlatformConfiguration(trustStore: trust, clock: now, checkpointSigner: signer))
    }

    deinit {
        if let folder { try? FileManager.default.removeItem(atPath: folder) }
    }

    func close() async { await store.close() }

    /// A key and a platform certificate for `number`, valid for three years from the simulated now.
    func credential(for number: OfficeNumber) throws -> Credential {
        let key = try PrivateKey.generate()
        let identity = try OfficeIdentity(officeNumber: number.rawValue)
        let request = try CertificateSigningRequest(key: key, identity: identity)
        let certificate = try ca.issueCertificate(for: request, identity: identity, notBefore: clock.date - 86_400,
                                                  notAfter: clock.date + 3 * 365 * 86_400)
        return try Credential(key: key, certificate: certificate, chain: [ca.intermediate])
    }

    /// Registers, approves, licenses and certifies an office, as an operator would.
    @discardableResult
    func enrol(_ number: OfficeNumber, kinds: [ServiceKindCode], prefecture: Int = 13, name: String? = nil,
               settlement: LicenseSettlement = .benefitOffset) async throws -> TestOffice {
        let details = OfficeDetails(name: name ?? "事業所\(number.rawValue.suffix(4))", serviceKinds: kinds, prefecture: prefecture,
                                    contactPerson: "担当 太郎", phone: "03-0000-0000")
        try await platform.requestRegistration(of: number, details: details, billingLoginID: "L\(number.rawValue)", by: .office(number))
        try await platform.approveRegistration(of: number, by: operatorActor)
        try await platform.activateLicense(for: number, settlement: settlement, by: operatorActor)
        let credential = try credential(for: number)
        try await platform.recordCertificateIssued(credential.certificate, by: operatorActor)
        return TestOffice(number: number, kinds: kinds, credential: credential)
    }

    /// A signed upload of `files` from `sender` to `recipient`.
    func upload(_ files: [UploadFile], from sender: TestOffice, to recipient: OfficeNumber, unitNumber: String? = nil,
                key: String = UUID().uuidString, signer: Credential? = nil) throws -> UploadRequest {
        let entries = try files.map { file in
            let kind = (try? FileName.parse(file.name).kind.rawValue) ?? Self.attachmentKind(file.name)
            return try SendUnitManifest.File(kind: kind, name: file.name, size: UInt64(file.bytes.count), sha256: SHA256.hash(file.bytes).hex)
        }
        let serial = unitNumber ?? files.compactMap { try? FileName.parse($0.name).serialText }.first ?? "20270401090000"
        let manifest = try SendUnitManifest(sender: sender.number.rawValue, recipient: recipient.rawValue, unitNumber: serial, files: entries)
        let credential = signer ?? sender.credential
        let signature = try SendUnitSignature.sign(manifest: manifest.canonicalBytes, key: credential.key,
                                                   certificate: credential.certificate, chain: credential.chain, at: clock.date)
        return UploadRequest(recipient: recipient, files: files, manifest: manifest.canonicalBytes, signature: signature.der, idempotencyKey: key)
    }

    static func attachmentKind(_ name: String) -> String {
        let lower = name.lowercased()
        return lower.hasSuffix(".pdf") ? "PDF" : lower.hasSuffix(".png") ? "PNG" : "JPEG"
    }

    /// Every projection's live digest equals its rebuild from the log.
    func expectRebuildEqualsLive(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        for comparison in try await platform.verifyProjections() {
            #expect(comparison.matches, "\(comparison.space) differs from its rebuild on \(engine)", sourceLocation: sourceLocation)
        }
    }
}

extension GeneratedSendUnit {
    /// The unit's files as an upload carries them.
    var uploadFiles: [UploadFile] { files.map { UploadFile(name: $0.fileName, bytes: $0.bytes) } }
    var sender: OfficeNumber { files[0].name.sender }
    var recipient: OfficeNumber { files[0].name.recipient }
}

/// A small month of generated traffic of every kind: one 居宅 office, its service offices and a 地域包括支援
/// センター; the 計画書, 予定 and 実績 units, their deletions, and the 予防 units.
struct GeneratedMonth {
    let units: [GeneratedSendUnit]
    init(seed: UInt64 = 7, month: YearMonth = YearMonth(year: 2027, month: 5)!, users: Int = 3) {
        units = CarePlanGenerator(seed: seed, month: month, userCount: users).sendUnitsOfEveryKind()
    }
    var careManagementOffice: OfficeNumber { units.first { $0.definitionID == "KYOTAKU_USAGE" }!.sender }
    /// The 地域包括支援センター (介護予防支援, kind 46) that sends the 予防 units.
    var preventionCenter: OfficeNumber { units.first { $0.definitionID == "YOBO_KIHON" }!.sender }
    func units(_ definition: String) -> [GeneratedSendUnit] { units.filter { $0.definitionID == definition } }
    /// The service offices with their kinds.
    var serviceOffices: [(OfficeNumber, ServiceKindCode)] {
        var seen: [OfficeNumber: ServiceKindCode] = [:]
        for unit in units(definitionID: "SERVICE_ACTUAL") { seen[unit.sender] = unit.files[0].name.senderKind }
        return seen.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
    private func units(definitionID: String) -> [GeneratedSendUnit] { units(definitionID) }
}

/// Expects `body` to throw a DomainError with `code`.
@discardableResult
func expectRefusal<R>(_ code: DomainError.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> R) async -> DomainError? {
    do {
        _ = try await body()
        Issue.record("expected refusal \(code), but it succeeded", sourceLocation: sourceLocation)
        return nil
    } catch let error as DomainError {
        #expect(error.code == code, "expected \(code), got \(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected refusal \(code), got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
