/// The 第7表 (UPSIKYU) special-row rules, gathered per user while the file streams by and judged at its end:
/// one 全合計 row (999999) per user (T7-1), a 種類別小計 row (<kind>AAAA) for every office and kind with more than
/// one row (T7-2), and the sums (T7-4, warnings: rounding follows the billing rules, not this standard).
struct Table7Check {
    struct Group {
        var firstLine: Int
        var detailRows = 0
        var detailAmount = 0
        var amountsKnown = true
        var subtotalLine: Int?
        var subtotalAmount: Int?
        var hasOtherSubtotal = false
    }

    struct User {
        var firstLine: Int
        var grandLines: [Int] = []
        var grandAmount: Int?
        var groups: [String: Group] = [:]
        var groupOrder: [String] = []
        var detailAmount = 0
        var amountsKnown = true
    }

    enum RowKind { case detail, subtotal(kind: String), otherSubtotal, grandTotal }

    private(set) var users: [String: User] = [:]
    private var userOrder: [String] = []

    /// What the code in column 9 says the row is.
    static func rowKind(_ code: UnsafeBufferPointer<UInt8>) -> RowKind {
        guard code.count == 6 else { return .detail }
        if code.allSatisfy({ $0 == 0x39 }) { return .grandTotal }
        let tail = Array(code[2..<6])
        if tail == Array("AAAA".utf8) { return .subtotal(kind: String(decoding: code[0..<2], as: UTF8.self)) }
        if tail == Array("EEEE".utf8) || tail == Array("ZZZZ".utf8) { return .otherSubtotal }
        return .detail
    }

    mutating func add(user: String, line: Int, row: RowKind, office: String, kind: String, amount: Int?) {
        if users[user] == nil {
            users[user] = User(firstLine: line)
            userOrder.append(user)
        }
        let group = office + "/" + kind
        switch row {
        case .grandTotal:
            users[user]?.grandLines.append(line)
            users[user]?.grandAmount = amount
            return
        case .detail:
            users[user]?.detailAmount += amount ?? 0
            if amount == nil { users[user]?.amountsKnown = false }
        case .subtotal, .otherSubtotal:
            break
        }
        if users[user]?.groups[group] == nil {
            users[user]?.groups[group] = Group(firstLine: line)
            users[user]?.groupOrder.append(group)
        }
        switch row {
        case .detail:
            users[user]?.groups[group]?.detailRows += 1
            users[user]?.groups[group]?.detailAmount += amount ?? 0
            if amount == nil { users[user]?.groups[group]?.amountsKnown = false }
        case .subtotal:
            users[user]?.groups[group]?.subtotalLine = line
            users[user]?.groups[group]?.subtotalAmount = amount
        case .otherSubtotal:
            users[user]?.groups[group]?.hasOtherSubtotal = true
        case .grandTotal:
            break
        }
    }

    /// The findings once the whole file has been read.
    func finish(into sink: inout FindingSink, amountColumn: ColumnSpec?, codeColumn: ColumnSpec?) {
        for key in userOrder {
            guard let user = users[key] else { continue }
            let who = FileFacts.displayKey(key)
            if user.grandLines.isEmpty {
                sink.add(line: user.firstLine, column: codeColumn, code: .grandTotal, level: .error,
                         ja: "利用者 \(who) の全合計行（サービスコード 999999）がありません。",
                         en: "User \(who) has no grand-total row (service code 999999).")
            } else if user.grandLines.count > 1 {
                sink.add(line: user.grandLines[1], column: codeColumn, code: .grandTotal, level: .error,
                         ja: "利用者 \(who) の全合計行（999999）が \(user.grandLines.count) 行あります（1行のみ）。",
                         en: "User \(who) has \(user.grandLines.count) grand-total rows; exactly one is expected.")
            }
            for groupKey in user.groupOrder {
                guard let group = user.groups[groupKey] else { continue }
                let parts = groupKey.split(separator: "/").map { String($0) }
                let kind = parts.last ?? ""
                if group.detailRows > 1 && group.subtotalLine == nil {
                    sink.add(line: group.firstLine, column: codeColumn, code: .subtotal, level: .error,
                             ja: "利用者 \(who) の事業所 \(parts.first ?? "") 種類 \(kind) は \(group.detailRows) 行あるため、種類別小計行（\(kind)AAAA）が必要です。",
                             en: "User \(who), office \(parts.first ?? ""), kind \(kind) has \(group.detailRows) rows, so it needs a subtotal row \(kind)AAAA.")
                }
                if let line = group.subtotalLine, let amount = group.subtotalAmount, group.amountsKnown,
                   !group.hasOtherSubtotal, amount != group.detailAmount {
                    sink.add(line: line, column: amountColumn, code: .arithmetic, level: .warning,
                             ja: "種類別小計のサービス単位金額 \(amount) が明細の合計 \(group.detailAmount) と一致しません。",
                             en: "The subtotal amount \(amount) differs from the sum of its rows, \(group.detailAmount).")
                }
            }
            if let amount = user.grandAmount, user.amountsKnown, user.grandLines.count == 1, amount != user.detailAmount {
                sink.add(line: user.grandLines[0], column: amountColumn, code: .arithmetic, level: .warning,
                         ja: "全合計のサービス単位金額 \(amount) が明細の合計 \(user.detailAmount) と一致しません。",
                         en: "The grand-total amount \(amount) differs from the sum of the rows, \(user.detailAmount).")
            }
        }
    }
}
