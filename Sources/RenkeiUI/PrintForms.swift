import CarePlanStandard
import Foundation
import RenkeiModel

/// 帳票: 第6表 サービス利用票 and 第7表 サービス利用票別表 laid out as the printed forms, one A4 landscape page
/// per user and form, from a unit's UPPLAN (予定), UPJSK (実績), UPSIKYU and UPHOSOKU files. Values are the
/// files' own; nothing is recalculated (the standard leaves rounding to the billing rules).
struct PrintPage {
    let base: String
    let office: String
    let title: String
    let back: String
    let source: String
    let sheets: [PrintSheet]
    let notice: String?
}

/// One printed page: a user's 第6表 or 第7表.
struct PrintSheet {
    let user: PrintUser
    let usage: UsageSheet?
    let annex: AnnexSheet?
}

/// The user as both forms head them, from UPHOSOKU (blank where the unit has none).
struct PrintUser {
    let insurer: String
    let insured: String
    let kana: String
    let name: String
    let birth: String
    let sex: String
    let careLevel: String
    let certification: String
    let classLimit: String
    let limitPeriod: String
    let month: String
    let created: String
}

struct UsageSheet {
    let planOffice: String
    let planner: String
    let shortStayDays: String
    let days: [PrintDay]
    let lines: [UsageLine]
    /// The day's count over every line (blank on a day without one).
    let plannedByDay: [String]
    let actualByDay: [String]
    let plannedTotal: String
    let actualTotal: String
}

struct PrintDay {
    let number: Int
    let weekday: String
    let holiday: Bool
}

/// One service line of 第6表: its 予定 row and its 実績 row.
struct UsageLine {
    let time: String
    let service: String
    let provider: String
    let planned: [String]
    let actual: [String]
    let plannedTotal: String
    let actualTotal: String
}

struct AnnexSheet {
    let headings = PrintForms.annexColumns.map(\.heading)
    let rows: [AnnexRow]
    let totalCost: String
    let claim: String
    let userCopay: String
}

struct AnnexRow {
    let style: String
    let provider: String
    let officeNumber: String
    let service: String
    let code: String
    let cells: [String]
}

enum PrintForms {
    /// The most users one print page lays out (two pages each).
    static let maximumUsers = 300
    /// The 第7表 columns after サービスコード, in the printed order: (column key, heading).
    static let annexColumns: [(key: String, heading: String)] = [
        ("units", "単位数"), ("discountRate", "割引後 率%"), ("discountedUnits", "割引後 単位数"), ("countOrDays", "回数"),
        ("serviceUnitAmount", "サービス単位/金額"), ("benefitManagedUnits", "給付管理単位数"),
        ("kindLimitExcessUnits", "種類支給限度基準を超える単位数"), ("kindLimitWithinUnits", "種類支給限度基準内単位数"),
        ("classLimitExcessUnits", "区分支給限度基準を超える単位数"), ("classLimitWithinUnits", "区分支給限度基準内単位数"),
        ("unitPrice", "単位数単価"), ("totalCost", "費用総額(保険対象分)"), ("benefitRate", "給付率(%)"),
        ("insuranceClaimAmount", "保険給付額"), ("userCopayInsured", "利用者負担(保険対象分)"), ("userCopayFull", "利用者負担(全額負担分)"),
    ]

    /// The sheets for `files` (name, bytes): for each user (by 保険者番号 and 被保険者番号, in file order), a 第6表
    /// page when the unit has its 予定 or 実績 rows and a 第7表 page when it has its 別表 rows.
    static func sheets(_ files: [(name: String, bytes: [UInt8])]) -> (sheets: [PrintSheet], users: Int) {
        var plan: [[String: String]] = [], actual: [[String: String]] = [], annex: [[String: String]] = [], supplements: [[String: String]] = []
        for file in files {
            guard let kind = try? FileName.parse(file.name).kind, let layout = StandardDefinition.v41.layout(of: kind) else { continue }
            let records = CSVTable.records(file.bytes).rows.map { row in
                Dictionary(zip(layout.columns.map(\.key), row.cells), uniquingKeysWith: { first, _ in first })
            }
            switch kind {
            case .usagePlan: plan += records
            case .actual: actual += records
            case .usageAnnex: annex += records
            case .supplement: supplements += records
            default: break
            }
        }
        var users: [String] = []
        var seen: Set<String> = []
        for record in plan + actual + annex where seen.insert(key(record)).inserted { users.append(key(record)) }
        var sheets: [PrintSheet] = []
        for user in users.prefix(maximumUsers) {
            let planned = plan.filter { key($0) == user }, done = actual.filter { key($0) == user }, rows = annex.filter { key($0) == user }
            guard let first = (planned + done + rows).first else { continue }
            let supplement = supplements.first { key($0) == user && $0["targetMonth"] == first["targetMonth"] } ?? supplements.first { key($0) == user }
            let person = Self.user(first, supplement: supplement ?? [:])
            if !planned.isEmpty || !done.isEmpty {
                sheets.append(PrintSheet(user: person, usage: usage(planned: planned, actual: done, supplement: supplement ?? [:]), annex: nil))
            }
            if !rows.isEmpty { sheets.append(PrintSheet(user: person, usage: nil, annex: Self.annex(rows))) }
        }
        return (sheets, users.count)
    }

    /// Whether a file of this name is one the forms are printed from (第6表 予定・実績 or 第7表).
    static func isPrinted(_ name: String) -> Bool {
        guard let kind = try? FileName.parse(name).kind else { return false }
        return [FileKind.usagePlan, .actual, .usageAnnex].contains(kind)
    }

    /// The files a print needs: the forms' own and the users' 補足情報.
    static func isRead(_ name: String) -> Bool {
        isPrinted(name) || (try? FileName.parse(name).kind) == .supplement
    }

    static func key(_ record: [String: String]) -> String { (record["insurerNo"] ?? "") + "/" + (record["insuredNo"] ?? "") }

    static func user(_ record: [String: String], supplement: [String: String]) -> PrintUser {
        let codes = StandardDefinition.v41.codeLists
        func code(_ list: String, _ key: String) -> String {
            guard let value = supplement[key], !value.isEmpty else { return "" }
            return codes[list]?[value] ?? value
        }
        let start = supplement["limitPeriodStart"].map(date) ?? "", end = supplement["limitPeriodEnd"].map(date) ?? ""
        return PrintUser(
            insurer: record["insurerNo"] ?? "", insured: record["insuredNo"] ?? "", kana: supplement["userNameKana"] ?? "",
            name: supplement["userName"] ?? "", birth: supplement["birthDate"].map(date) ?? "", sex: code("sex", "sex"),
            careLevel: code("careLevel", "careLevel"), certification: code("certificationStatus", "certificationStatus"),
            classLimit: supplement["classLimitUnits"].map { number($0).isEmpty ? "" : number($0) + " 単位/月" } ?? "",
            limitPeriod: start.isEmpty && end.isEmpty ? "" : "\(start) 〜 \(end)",
            month: month(record["targetMonth"] ?? ""), created: date(record["createdDate"] ?? ""))
    }

    /// 第6表: one line per (time, service, provider), counts by day for 予定 and 実績.
    static func usage(planned: [[String: String]], actual: [[String: String]], supplement: [String: String]) -> UsageSheet {
        let target = (planned + actual).first?["targetMonth"] ?? ""
        let year = Int(target.prefix(4)) ?? 2000, monthNumber = Int(target.suffix(2)) ?? 1
        let dayCount = YearMonth(year: year, month: monthNumber)?.dayCount ?? 31
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let days = (1...dayCount).map { day -> PrintDay in
            let date = calendar.date(from: DateComponents(year: year, month: monthNumber, day: day))
            let weekday = date.map { calendar.component(.weekday, from: $0) } ?? 1
            return PrintDay(number: day, weekday: ["日", "月", "火", "水", "木", "金", "土"][weekday - 1], holiday: weekday == 1 || weekday == 7)
        }
        struct Line { var planned = [Int](repeating: 0, count: 31), actual = [Int](repeating: 0, count: 31) }
        var order: [[String]] = []
        var lines: [[String]: Line] = [:]
        for (records, isPlan) in [(planned, true), (actual, false)] {
            for record in records {
                let id = ["startTime", "endTime", "serviceCode", "equipmentName", "serviceProviderNo", "serviceOfficeName"].map { record[$0] ?? "" }
                if lines[id] == nil { order.append(id) }
                let day = Int((record["serviceDate"] ?? "").suffix(2)) ?? 0
                let count = Int(record["serviceCount"] ?? "") ?? 1
                guard (1...31).contains(day) else { continue }
                if isPlan { lines[id, default: Line()].planned[day - 1] += count } else { lines[id, default: Line()].actual[day - 1] += count }
            }
        }
        order.sort { ($0[0], $0[2], $0[4]) < ($1[0], $1[2], $1[4]) }
        func cells(_ counts: [Int]) -> [String] { counts.prefix(dayCount).map { $0 == 0 ? "" : String($0) } }
        var totals = (planned: 0, actual: 0)
        var byDay = Line()
        let usageLines = order.compactMap { id -> UsageLine? in
            guard let line = lines[id] else { return nil }
            let planSum = line.planned.reduce(0, +), actualSum = line.actual.reduce(0, +)
            totals.planned += planSum
            totals.actual += actualSum
            for day in 0..<31 {
                byDay.planned[day] += line.planned[day]
                byDay.actual[day] += line.actual[day]
            }
            let time = id[0] == "9999" || id[0].isEmpty ? "" : "\(clock(id[0]))〜\(clock(id[1]))"
            return UsageLine(time: time, service: service(code: id[2], equipment: id[3]), provider: id[5].isEmpty ? id[4] : id[5],
                             planned: cells(line.planned), actual: cells(line.actual),
                             plannedTotal: planSum == 0 ? "" : String(planSum), actualTotal: actualSum == 0 ? "" : String(actualSum))
        }
        let head = (planned + actual).first ?? [:]
        return UsageSheet(planOffice: head["planOfficeNo"] ?? "", planner: head["planManagerName"] ?? "",
                          shortStayDays: head["shortStayDaysBeforeMonth"] ?? supplement["shortStayDaysBeforeMonth"] ?? "",
                          days: days, lines: usageLines, plannedByDay: cells(byDay.planned), actualByDay: cells(byDay.actual), plannedTotal: String(totals.planned),
                          actualTotal: actual.isEmpty ? "" : String(totals.actual))
    }

    /// 第7表: the rows as the file orders them, subtotals (<kind>AAAA, EEEE, ZZZZ) and the 合計 (999999) marked.
    static func annex(_ rows: [[String: String]]) -> AnnexSheet {
        let kinds = StandardDefinition.v41.serviceKindNames
        var total: [String: String] = [:]
        let printed = rows.map { row -> AnnexRow in
            let code = row["serviceCode"] ?? ""
            let kind = kinds[String(code.prefix(2))] ?? ""
            let style: String, label: String
            switch code.dropFirst(2) {
            case _ where code == "999999":
                (style, label) = ("total", "区分支給限度管理 合計")
                total = row
            case "AAAA": (style, label) = ("subtotal", "\(kind) 小計")
            case "EEEE": (style, label) = ("subtotal", "\(kind) 区分支給限度対象外 小計")
            case "ZZZZ": (style, label) = ("subtotal", "\(kind) 30日超過分 小計")
            default: (style, label) = ("detail", service(code: code, equipment: row["equipmentName"] ?? ""))
            }
            let office = row["serviceOfficeNo"] ?? ""
            return AnnexRow(style: style, provider: row["serviceOfficeName"] ?? "", officeNumber: office == "9999999999" ? "" : office,
                            service: label, code: style == "detail" ? code : "",
                            cells: annexColumns.map { column in column.key == "unitPrice" ? row[column.key] ?? "" : number(row[column.key] ?? "") })
        }
        return AnnexSheet(rows: printed, totalCost: number(total["totalCost"] ?? ""), claim: number(total["insuranceClaimAmount"] ?? ""),
                          userCopay: number(total["userCopayInsured"] ?? ""))
    }

    /// A service code with its kind's name (and a rented item's name).
    static func service(code: String, equipment: String) -> String {
        let kind = StandardDefinition.v41.serviceKindNames[String(code.prefix(2))] ?? ""
        return [kind, equipment, code].filter { !$0.isEmpty }.joined(separator: " ")
    }

    /// `4900` → `4,900`; blank stays blank; anything else as written.
    static func number(_ text: String) -> String {
        guard let value = Int(text) else { return text }
        let digits = String(value.magnitude)
        var grouped = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { grouped.append(",") }
            grouped.append(digit)
        }
        return value < 0 ? "-" + grouped : grouped
    }

    /// `1000` → `10:00`.
    static func clock(_ text: String) -> String { text.count == 4 ? "\(text.prefix(2)):\(text.suffix(2))" : text }

    /// The Japanese era of a date given as yyyymmdd: 令和, 平成, 昭和, 大正 or 明治, with 元年 for the first year.
    static func era(_ value: Int) -> (name: String, year: Int) {
        let eras: [(start: Int, name: String)] = [(20_190_501, "令和"), (19_890_108, "平成"), (19_261_225, "昭和"), (19_120_730, "大正"), (18_681_023, "明治")]
        let year = value / 10_000
        for era in eras where value >= era.start { return (era.name, year - era.start / 10_000 + 1) }
        return ("", year)
    }

    static func eraYear(_ value: Int) -> String {
        let (name, year) = era(value)
        return name.isEmpty ? "\(value / 10_000)年" : "\(name)\(year == 1 ? "元" : String(year))年"
    }

    /// `20250525` → `令和7年5月25日`; `00000000` and blanks → blank.
    static func date(_ text: String) -> String {
        guard text.count == 8, let value = Int(text), value > 0 else { return "" }
        return "\(eraYear(value))\(value / 100 % 100)月\(value % 100)日"
    }

    /// `202506` → `令和7年6月分`.
    static func month(_ text: String) -> String {
        guard text.count == 6, let value = Int(text) else { return text }
        return "\(eraYear(value * 100 + 1))\(value % 100)月分"
    }
}
