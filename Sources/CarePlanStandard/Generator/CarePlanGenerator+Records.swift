import RenkeiModel

/// The record builders: one user's records of each kind, as the standard's columns in order.
extension CarePlanGenerator {
    typealias Record = [String]

    static func hhmm(_ minutes: Int) -> String { String(format2: minutes / 60 % 24) + String(format2: minutes % 60) }

    /// The service days of `service` in the month (a monthly rental: the 1st).
    func days(of service: CareWorld.Service) -> [CivilDate] {
        let all = (1...month.dayCount).map { CivilDate(year: month.year, month: month.month, day: $0) }
        return service.weekdays.isEmpty ? [all[0]] : all.filter { service.weekdays.contains($0.weekday) }
    }

    /// 第6表 records (UPPLAN, or UPJSK when `actualFrom` names the service office whose 実績 they are).
    func table6Records(_ user: CareWorld.User, world: CareWorld, created: CivilDate,
                       actualFrom: CareWorld.Office?, random: inout SeededRandom) -> [Record] {
        var rows: [(CivilDate, Int, Record)] = []
        for service in user.services where actualFrom == nil || service.office == actualFrom {
            for day in days(of: service) {
                var start = service.startMinute
                if actualFrom != nil {
                    if random.chance(3) { continue }                 // a visit that did not happen
                    if random.chance(10) { start += random.pick([5, 10, -5]) }  // started a little early or late
                }
                let rental = service.weekdays.isEmpty
                let record: Record = [
                    definition.csvVersion, user.insurer, user.insured, created.text, month.description,
                    world.careManagementOffice.number.rawValue, world.careManagerName, String(service.item.units), "",
                    day.text, "", rental ? "9999" : Self.hhmm(start), rental ? "9999" : Self.hhmm(start + service.item.minutes),
                    "1", service.item.code, service.taisCode, "", service.equipmentName, "",
                    service.office.number.rawValue, service.office.name, "", "0",
                    (actualFrom ?? world.careManagementOffice).number.rawValue, "",
                ]
                rows.append((day, start, record))
            }
        }
        return rows.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map(\.2)
    }

    /// 第7表 rows for one user: per office and kind its service-code rows, a <kind>AAAA subtotal when there is
    /// more than one, and the 999999 grand total.
    func table7Records(_ user: CareWorld.User, world: CareWorld, created: CivilDate) -> [Record] {
        let head = [definition.csvVersion, user.insurer, user.insured, created.text, month.description]
        let tail = ["0", "9999999999", world.careManagementOffice.number.rawValue, world.careManagementOffice.number.rawValue, ""]
        var rows: [Record] = []
        var grand = (amount: 0, cost: 0, claim: 0)
        let groups = Dictionary(grouping: user.services) { "\($0.office.number)/\($0.office.kind)" }
        for key in groups.keys.sorted() {
            guard let services = groups[key], let office = services.first?.office else { continue }
            var amount = 0
            var detail: [Record] = []
            for service in services {
                let count = days(of: service).count
                let rowAmount = service.item.units * count
                amount += rowAmount
                detail.append(head + [office.name, office.number.rawValue, "", service.item.code, service.taisCode, "",
                                      service.equipmentName, String(service.item.units), "", "", String(count),
                                      String(rowAmount), String(rowAmount)])
            }
            let cost = amount * office.unitPriceCents / 100
            let claim = cost * 9 / 10
            grand = (grand.amount + amount, grand.cost + cost, grand.claim + claim)
            let totals = ["", "", "0", String(amount), Self.price(office.unitPriceCents), String(cost), "90", String(claim), "",
                          String(cost - claim), "0", "", "", ""]
            if detail.count == 1 {
                rows.append(detail[0] + totals + tail)
            } else {
                rows += detail.map { $0 + Array(repeating: "", count: 14) + tail }
                rows.append(head + [office.name, office.number.rawValue, "", office.kind.rawValue + "AAAA", "", "", "", "0", "", "",
                                    "0", String(amount), String(amount)] + totals + tail)
            }
        }
        rows.append(head + ["", "9999999999", "", "999999", "", "", "", "0", "", "", "0", String(grand.amount), String(grand.amount),
                            "", "", "0", String(grand.amount), "", String(grand.cost), "", String(grand.claim), "",
                            String(grand.cost - grand.claim), "0", "", "", ""] + tail)
        return rows
    }

    static func price(_ cents: Int) -> String { String(format2: cents / 100) + "." + String(format2: cents % 100) }

    /// 利用者補足情報: `planUnit` for the 第1表 unit (month 000000), else the month's usage unit.
    func supplementRecord(_ user: CareWorld.User, world: CareWorld, planUnit: Bool) -> Record {
        let cm = world.careManagementOffice.number.rawValue
        let validFrom = user.planDate.adding(months: -1)
        return [definition.csvVersion, user.insurer, user.insured, planUnit ? user.planDate.text : "00000000", user.kana,
                user.name, user.sex, user.birth.text, user.postal, user.address, user.building, user.phone,
                validFrom.adding(months: -1).text, validFrom.text, validFrom.adding(months: 24).text, "2", "",
                user.careLevel, String(user.limitUnits)]
            + Array(repeating: "", count: 37) + ["0", "", "", cm, cm, "", planUnit ? "000000" : month.description]
    }

    /// 第1表: one record per user.
    func plan1Record(_ user: CareWorld.User, world: CareWorld, random: inout SeededRandom) -> Record {
        let cm = world.careManagementOffice
        let assessment = random.sample(GeneratorVocabulary.assessments, count: random.int(1...2)).joined(separator: "\r\n")
        var policy = random.sample(GeneratorVocabulary.policies, count: 2).joined(separator: "\r\n")
        if random.chance(20) { policy += " 連絡先: 長女, 次男（\"緊急時\"のみ）" }
        return [definition.csvVersion, user.insurer, user.insured, user.planDate.text, user.postal, user.address, user.building,
                world.careManagerName, cm.name, "000-0000", random.pick(GeneratorVocabulary.towns) + "1-1-1", "", cm.number.rawValue,
                user.planDate.text, user.firstPlanDate.text, "21", "2", user.planDate.adding(months: -1).text,
                user.planDate.adding(months: -1).text, user.planDate.adding(months: 23).text, user.careLevel, assessment,
                random.pick(GeneratorVocabulary.boardOpinions), policy, random.chance(30) ? "1" : "", "", cm.number.rawValue, ""]
    }

    /// 第2表: issues × goals × support items.
    func plan2Records(_ user: CareWorld.User, world: CareWorld, random: inout SeededRandom) -> [Record] {
        var rows: [Record] = []
        let date = user.planDate.text
        for (issueIndex, issue) in random.sample(GeneratorVocabulary.issues, count: random.int(1...3)).enumerated() {
            for goal in 1...random.int(1...2) {
                for support in 1...random.int(1...2) {
                    let service = user.services[random.below(user.services.count)]
                    rows.append([definition.csvVersion, user.insurer, user.insured, date, date, String(issueIndex + 1), issue,
                                 String(goal), random.pick(GeneratorVocabulary.longGoals), random.pick(GeneratorVocabulary.shortGoals),
                                 "\(user.planDate.year)年\(user.planDate.month)月～\(user.planDate.year + 1)年\(user.planDate.month)月",
                                 "\(user.planDate.year)年\(user.planDate.month)月～\(user.planDate.adding(months: 6).year)年\(user.planDate.adding(months: 6).month)月",
                                 String(support), random.pick(GeneratorVocabulary.serviceContents), "Y", service.item.label,
                                 service.office.number.rawValue, service.office.name, random.pick(GeneratorVocabulary.frequencies),
                                 "6か月", world.careManagementOffice.number.rawValue, ""])
                }
            }
        }
        return rows
    }

    /// 第3表: a row per weekly service slot, the daily activities, and one non-weekly row.
    func plan3Records(_ user: CareWorld.User, random: inout SeededRandom) -> [Record] {
        let head = [definition.csvVersion, user.insurer, user.insured, user.planDate.text, user.planDate.text]
        var rows: [Record] = []
        for service in user.services where !service.weekdays.isEmpty {
            for weekday in service.weekdays {
                rows.append(head + [service.item.label, String(weekday), Self.hhmm(service.startMinute),
                                    Self.hhmm(service.startMinute + service.item.minutes), "", "", "", ""])
            }
        }
        for (index, activity) in random.sample(GeneratorVocabulary.activities, count: 4).enumerated() {
            let start = [7, 12, 15, 19][index] * 60
            rows.append(head + ["", "", "", "", activity, Self.hhmm(start), Self.hhmm(start + 30), ""])
        }
        let rental = user.services.first { $0.weekdays.isEmpty }
        rows.append(head + ["", "", "", "", "", "", "", rental.map { "福祉用具貸与（\($0.equipmentName)）" } ?? "通院（月1回、家族付き添い）"])
        return rows
    }
}
