import Foundation
import RenkeiAPI
public import RenkeiClient

/// What an office saved in a year by exchanging its care-plan files through the platform instead of on
/// paper, by post and by FAX, from its own traffic. Every figure follows from the traffic and the printed
/// assumptions, each of which has a default and a flag; the national study's per-office estimates are shown
/// beside the result as the yardstick.
public struct SavingsStatement: Codable, Sendable, Hashable {
    /// The assumptions, each overridable (`renkei savings --help` names the flags).
    public struct Assumptions: Codable, Sendable, Hashable {
        /// Printed pages per standard file (a 第6表 or 第7表 is one or two A4 pages).
        public var pagesPerFile: Double = 2
        /// Paper and toner per printed page, yen.
        public var printYenPerPage: Double = 5
        /// Share of units that went by post (the rest by FAX).
        public var postShare: Double = 0.3
        /// Postage per unit posted (定形郵便 up to 50 g), yen.
        public var postageYenPerUnit: Double = 110
        /// Line cost per FAX page, yen.
        public var faxYenPerPage: Double = 10
        /// Staff minutes per unit sent (print, stamp, envelope or FAX, file a copy).
        public var minutesPerUnitSent: Double = 10
        /// Staff minutes per unit received (sort, transcribe into the care software).
        public var minutesPerUnitReceived: Double = 15
        /// Staff cost per hour, yen.
        public var staffYenPerHour: Double = 2_000

        public init() {}
    }

    /// The office's traffic in the year.
    public struct Traffic: Codable, Sendable, Hashable {
        public var unitsSent = 0
        public var filesSent = 0
        public var unitsReceived = 0
        public var filesReceived = 0
        public init() {}
    }

    public let year: Int
    public let office: String
    public let traffic: Traffic
    public let assumptions: Assumptions
    /// Pages that were not printed (sent and received: the recipient prints what arrives on paper or FAX).
    public let pages: Double
    public let printYen: Double
    public let postageYen: Double
    public let faxYen: Double
    public let staffMinutes: Double
    public let staffYen: Double
    public let totalWithoutStaffYen: Double
    public let totalWithStaffYen: Double
    /// The national study's estimates per office and year (ケアプランデータ連携システムの費用対効果).
    public static let nationalWithoutStaffYen = 72_000.0
    public static let nationalWithStaffYen = 816_000.0

    public init(year: Int, office: String, traffic: Traffic, assumptions: Assumptions) {
        self.year = year
        self.office = office
        self.traffic = traffic
        self.assumptions = assumptions
        let sentPages = Double(traffic.filesSent) * assumptions.pagesPerFile
        let receivedPages = Double(traffic.filesReceived) * assumptions.pagesPerFile
        pages = sentPages + receivedPages
        printYen = pages * assumptions.printYenPerPage
        // The office pays postage and FAX for what it sends; what it receives the sender paid.
        postageYen = Double(traffic.unitsSent) * assumptions.postShare * assumptions.postageYenPerUnit
        faxYen = sentPages * (1 - assumptions.postShare) * assumptions.faxYenPerPage
        staffMinutes = Double(traffic.unitsSent) * assumptions.minutesPerUnitSent + Double(traffic.unitsReceived) * assumptions.minutesPerUnitReceived
        staffYen = staffMinutes / 60 * assumptions.staffYenPerHour
        totalWithoutStaffYen = printYen + postageYen + faxYen
        totalWithStaffYen = totalWithoutStaffYen + staffYen
    }

    /// The statement for people: traffic, each assumption with its flag, each figure, and the yardstick.
    public var text: String {
        func yen(_ value: Double) -> String { "¥" + Int(value.rounded()).formatted(.number.grouping(.automatic).locale(Locale(identifier: "ja_JP"))) }
        let a = assumptions
        return """
        \(year)年 削減効果 / Savings in \(year), office \(office)
        送信 sent      \(traffic.unitsSent) units, \(traffic.filesSent) files
        受信 received  \(traffic.unitsReceived) units, \(traffic.filesReceived) files

        前提 Assumptions (flag: value)
          --pages-per-file \(a.pagesPerFile)           1ファイルの印刷枚数 / printed pages per file
          --print-yen-per-page \(a.printYenPerPage)     用紙・トナー代(円/枚) / paper and toner per page
          --post-share \(a.postShare)               郵送の割合(残りは FAX) / share posted (the rest faxed)
          --postage-yen \(a.postageYenPerUnit)            郵送料(円/送信単位) / postage per unit posted
          --fax-yen-per-page \(a.faxYenPerPage)        FAX 通信料(円/枚) / FAX line cost per page
          --minutes-per-sent \(a.minutesPerUnitSent)        送信1件の作業(分) / staff minutes per unit sent
          --minutes-per-received \(a.minutesPerUnitReceived)    受信1件の作業(分) / staff minutes per unit received
          --staff-yen-per-hour \(a.staffYenPerHour)   人件費(円/時) / staff cost per hour

        削減 Saved
          印刷しなかった枚数 pages not printed   \(Int(pages.rounded()))  → \(yen(printYen))
          郵送料 postage                        \(yen(postageYen))
          FAX 通信料 FAX                        \(yen(faxYen))
          作業時間 staff time                   \(Int(staffMinutes.rounded())) 分 min → \(yen(staffYen))
          合計(人件費を除く) without staff        \(yen(totalWithoutStaffYen))
          合計(人件費を含む) with staff           \(yen(totalWithStaffYen))
        目安 Yardstick: 国の試算 1事業所あたり年間 約\(yen(Self.nationalWithoutStaffYen))(人件費除く)、約\(yen(Self.nationalWithStaffYen))(人件費含む)
                        the national study's estimate per office and year: about \(yen(Self.nationalWithoutStaffYen)) without staff costs, \(yen(Self.nationalWithStaffYen)) with
        ライセンス料 licence fee: ¥21,000 a year

        """
    }
}

/// The office's traffic in a calendar year (Japan time), from its inbox and sent lists.
public enum SavingsTraffic {
    public static func collect(year: Int, client: RenkeiClient) async throws -> SavingsStatement.Traffic {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Tokyo")!
        guard let start = calendar.date(from: DateComponents(year: year, month: 1, day: 1)),
              let end = calendar.date(from: DateComponents(year: year + 1, month: 1, day: 1)) else { return .init() }
        let range = Int64(start.timeIntervalSince1970 * 1e6)..<Int64(end.timeIntervalSince1970 * 1e6)
        var traffic = SavingsStatement.Traffic()
        for inbox in [false, true] {
            for unit in try await client.allUnits(inbox: inbox) where range.contains(unit.uploadedMicros) {
                if inbox {
                    traffic.unitsReceived += 1
                    traffic.filesReceived += Int(unit.fileCount)
                } else {
                    traffic.unitsSent += 1
                    traffic.filesSent += Int(unit.fileCount)
                }
            }
        }
        return traffic
    }
}
