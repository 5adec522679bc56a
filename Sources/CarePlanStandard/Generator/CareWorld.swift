import RenkeiModel

/// The people and offices the generator writes about: one care-management office (居宅, kind 43), service
/// offices of several kinds, and users, each with a weekly pattern of services. Built from a seed alone.
struct CareWorld {
    struct Office: Hashable {
        let number: OfficeNumber
        let kind: ServiceKindCode
        let name: String
        /// 単位数単価 in hundredths of a yen (1000 = ¥10.00, 1140 = ¥11.40).
        let unitPriceCents: Int
    }

    /// A placeholder service code with its units (not the official サービスコード表).
    struct ServiceItem: Hashable {
        let code: String
        let units: Int
        let minutes: Int
        let label: String
    }

    struct Service: Hashable {
        let office: Office
        let item: ServiceItem
        /// Weekdays (1 = Monday … 7 = Sunday); empty for monthly rental.
        let weekdays: [Int]
        let startMinute: Int
        let taisCode: String
        let equipmentName: String
    }

    struct User: Hashable {
        let insurer: String
        let insured: String
        let name: String, kana: String, sex: String
        let birth: CivilDate
        let postal: String, address: String, building: String, phone: String
        let careLevel: String
        let limitUnits: Int
        let planDate: CivilDate
        let firstPlanDate: CivilDate
        let services: [Service]
    }

    static let catalog: [String: [ServiceItem]] = [
        "11": [ServiceItem(code: "111111", units: 244, minutes: 30, label: "身体介護1"),
               ServiceItem(code: "112111", units: 387, minutes: 60, label: "身体介護2"),
               ServiceItem(code: "114011", units: 220, minutes: 45, label: "生活援助3")],
        "13": [ServiceItem(code: "131111", units: 470, minutes: 30, label: "訪問看護I2")],
        "15": [ServiceItem(code: "155011", units: 700, minutes: 420, label: "通所介護13")],
        "16": [ServiceItem(code: "166111", units: 715, minutes: 360, label: "通所リハ12")],
        "17": [ServiceItem(code: "171001", units: 300, minutes: 0, label: "福祉用具貸与")],
        "78": [ServiceItem(code: "785011", units: 750, minutes: 420, label: "地域密着型通所介護")],
    ]
    static let limits: [String: Int] = ["21": 16765, "22": 19705, "23": 27048, "24": 30938, "25": 36217]

    let careManagementOffice: Office
    let careManagerName: String
    let serviceOffices: [Office]
    let users: [User]

    init(seed: UInt64, userCount: Int, month: YearMonth) {
        var random = SeededRandom(seed: seed)
        let prefecture = random.pick(["13", "14", "11", "27", "01", "04"])
        let price = random.pick([1000, 1021, 1045, 1070, 1090, 1140])
        func officeNumber() -> OfficeNumber { OfficeNumber(rawValue: prefecture + random.digits(8))! }
        func officeName(_ kind: String) -> String { random.pick(GeneratorVocabulary.officeNames[kind] ?? ["事業所"]) }
        careManagementOffice = Office(number: officeNumber(), kind: .careManagement, name: officeName("43"), unitPriceCents: price)
        let family = random.pick(GeneratorVocabulary.familyNames), given = random.pick(GeneratorVocabulary.givenNames)
        careManagerName = "\(family.kanji)　\(given.kanji)"
        var offices: [Office] = []
        for kind in ["11", "11", "13", "15", "16", "17", "78"] {
            offices.append(Office(number: officeNumber(), kind: ServiceKindCode(rawValue: kind)!, name: officeName(kind), unitPriceCents: price))
        }
        serviceOffices = offices
        let insurers = (0..<3).map { _ in prefecture + random.digits(4) }
        var users: [User] = []
        var insuredNumbers: Set<String> = []
        for _ in 0..<max(1, userCount) {
            var insured = random.digits(10)
            while !insuredNumbers.insert(insured).inserted { insured = random.digits(10) }
            let family = random.pick(GeneratorVocabulary.familyNames), given = random.pick(GeneratorVocabulary.givenNames)
            let level = random.pick(["21", "22", "23", "24", "25"])
            let planDate = CivilDate(year: month.year, month: month.month, day: 1).adding(months: -random.int(1...6))
            let plan = CivilDate(year: planDate.year, month: planDate.month, day: random.int(1...28))
            users.append(User(
                insurer: random.pick(insurers), insured: insured,
                name: "\(family.kanji)　\(given.kanji)", kana: "\(family.kana)　\(given.kana)", sex: given.sex,
                birth: CivilDate(year: random.int(1928...1950), month: random.int(1...12), day: random.int(1...28)),
                postal: random.digits(3) + "-" + random.digits(4),
                address: random.pick(GeneratorVocabulary.towns) + "\(random.int(1...5))-\(random.int(1...30))-\(random.int(1...20))",
                building: random.pick(GeneratorVocabulary.buildings), phone: "0\(random.int(3...9))-\(random.digits(4))-\(random.digits(4))",
                careLevel: level, limitUnits: Self.limits[level] ?? 16765,
                planDate: plan, firstPlanDate: plan.adding(months: -random.int(6...36)),
                services: Self.services(for: &random, offices: offices)))
        }
        self.users = users
    }

    /// One to three offices a user uses, each on some weekdays (home help sometimes every day).
    static func services(for random: inout SeededRandom, offices: [Office]) -> [Service] {
        var services: [Service] = []
        for office in random.sample(offices, count: random.int(1...3)) {
            let items = catalog[office.kind.rawValue] ?? []
            guard !items.isEmpty else { continue }
            let item = random.pick(items)
            if office.kind.rawValue == "17" {
                services.append(Service(office: office, item: item, weekdays: [], startMinute: 0,
                                        taisCode: random.digits(5) + "-" + random.digits(6),
                                        equipmentName: random.pick(GeneratorVocabulary.equipment)))
                continue
            }
            let daily = office.kind.rawValue == "11" && random.chance(30)
            let weekdays = daily ? Array(1...7) : random.sample(Array(1...6), count: random.int(1...3))
            let start = office.kind.rawValue == "15" || office.kind.rawValue == "16" || office.kind.rawValue == "78"
                ? 9 * 60 + random.pick([0, 15, 30]) : random.int(8...17) * 60 + random.pick([0, 15, 30, 45])
            services.append(Service(office: office, item: item, weekdays: weekdays, startMinute: start, taisCode: "", equipmentName: ""))
            if office.kind.rawValue == "11", daily, let second = items.last, second != item {
                // A second, evening visit on the same days.
                services.append(Service(office: office, item: second, weekdays: weekdays, startMinute: 18 * 60,
                                        taisCode: "", equipmentName: ""))
            }
        }
        return services
    }
}
