import RenkeiModel

/// One generated file: its v4.1 name, its records and its MS932 bytes.
public struct GeneratedFile: Hashable, Sendable {
    /// The name.
    public let name: FileName
    /// The records, as written.
    public let records: [[String]]
    /// The file's bytes (MS932, CRLF).
    public let bytes: [UInt8]

    /// The rendered v4.1 file name.
    public var fileName: String { name.rendered }
    /// The file kind.
    public var kind: FileKind { name.kind }
}

/// One generated send unit: files sharing a 連番, forming one of the allowed combinations.
public struct GeneratedSendUnit: Hashable, Sendable {
    /// The `sendUnits` id of layouts.json it follows (KYOTAKU_PLAN, KYOTAKU_USAGE, SERVICE_ACTUAL).
    public let definitionID: String
    /// The files.
    public let files: [GeneratedFile]
    /// The shared 連番.
    public var serialText: String { files.first?.name.serialText ?? "" }
}

/// A seeded generator of realistic send units for tests, benchmarks and zstd dictionary training: one care-
/// management office, several service offices of several kinds, many users with services on every day of the
/// month, Japanese free text with commas, quotes and line breaks. Same seed, same bytes.
///
/// The service codes and units are placeholders, not the official サービスコード表; the files pass
/// ``StandardChecker`` without errors or warnings.
public struct CarePlanGenerator: Sendable {
    /// The seed.
    public let seed: UInt64
    /// The service month.
    public let month: YearMonth
    /// The number of users in ``sendUnits()``.
    public let userCount: Int
    let definition: StandardDefinition

    /// A generator for `month` with `userCount` users.
    public init(seed: UInt64, month: YearMonth = YearMonth(year: 2025, month: 6)!, userCount: Int = 40,
                definition: StandardDefinition = .v41) {
        self.seed = seed
        self.month = month
        self.userCount = max(1, userCount)
        self.definition = definition
    }

    /// The kinds ``file(kind:approximateByteCount:)`` can make.
    public static let generatedKinds: [FileKind] = [.usagePlan, .usageAnnex, .actual, .supplement, .plan1, .plan2, .plan3]

    /// The month's send units: for every service office with users, the 第1表 unit (UP1KYO, UP2KYO, UP3KYO,
    /// UPHOSOKU 000000) and the 第6表 unit (UPPLAN, UPSIKYU, UPHOSOKU) from the care-management office, and the
    /// 実績 unit (UPJSK) back from the service office.
    public func sendUnits() -> [GeneratedSendUnit] {
        let world = CareWorld(seed: seed, userCount: userCount, month: month)
        var random = SeededRandom(seed: seed ^ 0x5EED)
        let previous = CivilDate(year: month.year, month: month.month, day: 25).adding(months: -1)
        let planCreated = CivilDate(year: previous.year, month: previous.month, day: 25)
        // 実績 is created on the 1st of the following month; 999912 has none, so its last day stands in.
        let actualCreated = month.next.map { CivilDate(year: $0.year, month: $0.month, day: 1) }
            ?? CivilDate(year: month.year, month: month.month, day: month.dayCount)
        var units: [GeneratedSendUnit] = []
        for (index, office) in world.serviceOffices.enumerated() {
            let users = world.users.filter { $0.services.contains { $0.office == office } }
            guard !users.isEmpty else { continue }
            let cm = world.careManagementOffice
            let planSerial = serial(previous, hour: 9, minute: index)
            units.append(GeneratedSendUnit(definitionID: "KYOTAKU_PLAN", files: [
                file(.plan1, nil, cm, office, planSerial, users.map { plan1Record($0, world: world, random: &random) }),
                file(.plan2, nil, cm, office, planSerial, users.flatMap { plan2Records($0, world: world, random: &random) }),
                file(.plan3, nil, cm, office, planSerial, users.flatMap { plan3Records($0, random: &random) }),
                file(.supplement, "000000", cm, office, planSerial, users.map { supplementRecord($0, world: world, planUnit: true) }),
            ]))
            let usageSerial = serial(previous, hour: 10, minute: 30 + index)
            units.append(GeneratedSendUnit(definitionID: "KYOTAKU_USAGE", files: [
                file(.usagePlan, month.description, cm, office, usageSerial,
                     users.flatMap { table6Records($0, world: world, created: planCreated, actualFrom: nil, random: &random) }),
                file(.usageAnnex, month.description, cm, office, usageSerial,
                     users.flatMap { table7Records($0, world: world, created: planCreated) }),
                file(.supplement, month.description, cm, office, usageSerial,
                     users.map { supplementRecord($0, world: world, planUnit: false) }),
            ]))
            let actualSerial = serial(actualCreated, hour: 10, minute: index)
            units.append(GeneratedSendUnit(definitionID: "SERVICE_ACTUAL", files: [
                file(.actual, month.description, office, cm, actualSerial,
                     users.flatMap { table6Records($0, world: world, created: actualCreated, actualFrom: office, random: &random) }),
            ]))
        }
        return units
    }

    /// One file of `kind` (one of ``generatedKinds``) of roughly `approximateByteCount` bytes (at least one
    /// record; it stops at the first user that reaches the size), or `nil` for a kind the generator does not make.
    public func file(kind: FileKind, approximateByteCount: Int) -> GeneratedFile? {
        guard Self.generatedKinds.contains(kind) else { return nil }
        let perUser = kind == .usagePlan ? 4000 : kind == .actual ? 1000 : 500
        let world = CareWorld(seed: seed, userCount: min(1_000_000, max(4, approximateByteCount / perUser * 3 + 4)), month: month)
        var random = SeededRandom(seed: seed ^ 0xF11E)
        let cm = world.careManagementOffice
        let office = world.serviceOffices[0]
        let created = CivilDate(year: month.year, month: month.month, day: 1).adding(months: -1)
        let textColumns = definition.layout(of: kind)?.columns.map { $0.format == .text }
        var records: [[String]] = []
        var bytes: [UInt8] = []
        bytes.reserveCapacity(approximateByteCount + 4096)
        for user in world.users where bytes.count < approximateByteCount {
            let userRecords: [[String]]
            switch kind {
            case .usagePlan: userRecords = table6Records(user, world: world, created: created, actualFrom: nil, random: &random)
            case .actual: userRecords = table6Records(user, world: world, created: created, actualFrom: office, random: &random)
            case .usageAnnex: userRecords = table7Records(user, world: world, created: created)
            case .supplement: userRecords = [supplementRecord(user, world: world, planUnit: false)]
            case .plan1: userRecords = [plan1Record(user, world: world, random: &random)]
            case .plan2: userRecords = plan2Records(user, world: world, random: &random)
            default: userRecords = plan3Records(user, random: &random)
            }
            for record in userRecords {
                do { try CarePlanWriter.append(record, textColumns: textColumns, recordNumber: records.count + 1, to: &bytes) } catch {
                    preconditionFailure("the generator wrote a value the writer refuses: \(error)")
                }
                records.append(record)
            }
        }
        let (sender, recipient) = kind == .actual ? (office, cm) : (cm, office)
        let monthSegment = [FileKind.usagePlan, .actual, .usageAnnex, .supplement].contains(kind) ? month.description : nil
        let name = FileName(kind: kind, monthSegment: monthSegment, sender: sender.number, senderKind: sender.kind,
                            recipient: recipient.number, recipientKind: recipient.kind, serialText: serial(created, hour: 10, minute: 30),
                            branch: nil, fileExtension: "CSV", form: .v41)
        return GeneratedFile(name: name, records: records, bytes: bytes)
    }

    func serial(_ date: CivilDate, hour: Int, minute: Int) -> String {
        date.text + String(format2: hour + minute / 60) + String(format2: minute % 60) + "00"
    }

    func file(_ kind: FileKind, _ month: String?, _ sender: CareWorld.Office, _ recipient: CareWorld.Office,
              _ serialText: String, _ records: [[String]]) -> GeneratedFile {
        let name = FileName(kind: kind, monthSegment: month, sender: sender.number, senderKind: sender.kind,
                            recipient: recipient.number, recipientKind: recipient.kind, serialText: serialText,
                            branch: nil, fileExtension: "CSV", form: .v41)
        do {
            return GeneratedFile(name: name, records: records, bytes: try CarePlanWriter.bytes(of: records, kind: kind, definition: definition))
        } catch {
            preconditionFailure("the generator wrote a value the writer refuses: \(error)")
        }
    }
}
