import RenkeiModel

extension CarePlanGenerator {
    /// The month's send units (``sendUnits()``) and every other kind of unit, so that every layout is exercised
    /// by generated traffic: the deletions (DLT1KYO, DLTPLAN from the 居宅 office, DLTJSK back from each service
    /// office), and from a 地域包括支援センター (介護予防支援, kind 46) to each service office the 利用者基本情報 unit
    /// (UPKIHON with its 別表1, 別表2 and a family image), the 介護予防サービス・支援計画 unit (UPYOBO, UPYOBO_SUB),
    /// and their deletions (DLTKIHON, DLTYOBO).
    public func sendUnitsOfEveryKind() -> [GeneratedSendUnit] { sendUnits() + otherSendUnits() }

    /// The deletion and 予防 units of ``sendUnitsOfEveryKind()``.
    public func otherSendUnits() -> [GeneratedSendUnit] {
        let world = CareWorld(seed: seed, userCount: userCount, month: month)
        var random = SeededRandom(seed: seed ^ 0xA11C1D)
        let cm = world.careManagementOffice
        let center = CareWorld.Office(number: OfficeNumber(rawValue: String(cm.number.rawValue.prefix(2)) + random.digits(8))!,
                                      kind: ServiceKindCode(rawValue: "46")!, name: "地域包括支援センターみなみ", unitPriceCents: cm.unitPriceCents)
        let deletedOn = CivilDate(year: month.year, month: month.month, day: 20)
        var units: [GeneratedSendUnit] = []
        for (index, office) in world.serviceOffices.enumerated() {
            let users = world.users.filter { $0.services.contains { $0.office == office } }
            guard !users.isEmpty else { continue }
            let deleteSerial = serial(deletedOn, hour: 11, minute: index)
            units.append(GeneratedSendUnit(definitionID: "KYOTAKU_PLAN_DELETE", files: [
                file(.plan1Delete, nil, cm, office, deleteSerial, users.map { layoutRecord(.plan1Delete, $0, from: cm, random: &random) }),
            ]))
            units.append(GeneratedSendUnit(definitionID: "KYOTAKU_USAGE_DELETE", files: [
                file(.usagePlanDelete, month.description, cm, office, serial(deletedOn, hour: 12, minute: index),
                     users.map { layoutRecord(.usagePlanDelete, $0, from: cm, random: &random) }),
            ]))
            units.append(GeneratedSendUnit(definitionID: "SERVICE_ACTUAL_DELETE", files: [
                file(.actualDelete, month.description, office, cm, serial(deletedOn, hour: 13, minute: index),
                     users.map { layoutRecord(.actualDelete, $0, from: office, random: &random) }),
            ]))

            let kihonSerial = serial(deletedOn, hour: 14, minute: index)
            let image = imageFile(from: center, to: office, serialText: kihonSerial, branch: "0001")
            units.append(GeneratedSendUnit(definitionID: "YOBO_KIHON", files: [
                file(.basicInfo, nil, center, office, kihonSerial, users.map { layoutRecord(.basicInfo, $0, from: center, random: &random) }),
                file(.basicInfoSub1, nil, center, office, kihonSerial, users.map { layoutRecord(.basicInfoSub1, $0, from: center, random: &random) }),
                file(.basicInfoSub2, nil, center, office, kihonSerial, users.map { layoutRecord(.basicInfoSub2, $0, from: center, random: &random) }),
                image,
            ]))
            let planSerial = serial(deletedOn, hour: 15, minute: index)
            units.append(GeneratedSendUnit(definitionID: "YOBO_PLAN", files: [
                file(.preventionPlan, nil, center, office, planSerial, users.map { layoutRecord(.preventionPlan, $0, from: center, random: &random) }),
                file(.preventionPlanSub, nil, center, office, planSerial, users.map { layoutRecord(.preventionPlanSub, $0, from: center, random: &random) }),
            ]))
            units.append(GeneratedSendUnit(definitionID: "YOBO_KIHON_DELETE", files: [
                file(.basicInfoDelete, nil, center, office, serial(deletedOn, hour: 16, minute: index),
                     users.map { layoutRecord(.basicInfoDelete, $0, from: center, random: &random) }),
            ]))
            units.append(GeneratedSendUnit(definitionID: "YOBO_PLAN_DELETE", files: [
                file(.preventionPlanDelete, nil, center, office, serial(deletedOn, hour: 17, minute: index),
                     users.map { layoutRecord(.preventionPlanDelete, $0, from: center, random: &random) }),
            ]))
        }
        return units
    }

    /// One record of `kind` for `user`, built from the layout's columns: the user's key (保険者番号, 被保険者番号
    /// and the key date: the plan date, the 相談日, or the month), the sender as office, and for the other
    /// columns a value of the column's format and code list — every required column, and about half of the
    /// optional ones.
    func layoutRecord(_ kind: FileKind, _ user: CareWorld.User, from sender: CareWorld.Office, random: inout SeededRandom) -> Record {
        guard let layout = definition.layout(of: kind) else { return [] }
        return layout.columns.map { column in
            let required = column.isRequired
            switch column.key {
            case "csvVersion": return definition.csvVersion
            case "insurerNo": return user.insurer
            case "insuredNo": return user.insured
            case "planCreatedOrChangedDate", "consultationDate": return user.planDate.text
            case "deleteTargetMonth", "targetMonth": return month.description
            case "serviceProviderNo": return sender.number.rawValue
            case "serviceKind": return sender.kind.rawValue
            case "birthDate": return user.birth.text
            case "userName": return user.name
            case "userNameKana": return user.kana
            case "sex": return user.sex
            case "address": return user.address
            default: break
            }
            guard required || random.chance(50) else { return "" }
            switch column.format {
            case .date: return user.planDate.adding(months: -random.int(0...3)).text
            case .yearMonth: return month.description
            case .integer: return String(random.int(1...9))
            case .text: return random.pick(GeneratorVocabulary.shortGoals)
            case .phone: return user.phone
            case .postalCode: return user.postal
            case .officeNumber: return sender.number.rawValue
            case .code(let list):
                let codes = definition.codes(of: list).sorted()
                return codes.isEmpty ? "" : random.pick(codes)
            default: return ""
            }
        }
    }

    /// A family image (UPKIHON_IMAGE): a small JPEG under the standard's name with its 枝番.
    func imageFile(from sender: CareWorld.Office, to recipient: CareWorld.Office, serialText: String, branch: String) -> GeneratedFile {
        let name = FileName(kind: .basicInfoImage, monthSegment: nil, sender: sender.number, senderKind: sender.kind,
                            recipient: recipient.number, recipientKind: recipient.kind, serialText: serialText,
                            branch: branch, fileExtension: "jpg", form: .v41)
        // SOI, an APP0 (JFIF) segment, EOI: the smallest file the image kind's check accepts as a JPEG.
        let bytes: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01,
                              0x00, 0x01, 0x00, 0x00, 0xFF, 0xD9]
        return GeneratedFile(name: name, records: [], bytes: bytes)
    }
}
