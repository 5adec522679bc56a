/// The 第7表 (UPSIKYU) special-row rules, gathered per user while the file streams by and judged at its end:
/// one 全合計 row (999999) per user (T7-1), a 種類別小計 row (<kind>AAAA) for every office and kind with more than
/// one row (T7-2), and the sums (T7-4, warnings: rounding follows the billing rules, not this standard).
struct Table7Check {
    struct Group {
        /// Office number bytes, `/`, kind bytes.
        var key: [UInt8]
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
        var groups: [Group] = []
        var detailAmount = 0
        var amountsKnown = true

        /// Adds a later run of the same user's rows (rows of one user that are not together in the file).
        mutating func merge(_ other: User) {
            grandLines += other.grandLines
            grandAmount = other.grandAmount ?? grandAmount
            detailAmount += other.detailAmount
            amountsKnown = amountsKnown && other.amountsKnown
            for group in other.groups {
                guard let index = groups.firstIndex(where: { $0.key == group.key }) else { groups.append(group); continue }
                groups[index].detailRows += group.detailRows
                groups[index].detailAmount += group.detailAmount
                groups[index].amountsKnown = groups[index].amountsKnown && group.amountsKnown
                groups[index].subtotalLine = group.subtotalLine ?? groups[index].subtotalLine
                groups[index].subtotalAmount = group.subtotalAmount ?? groups[index].subtotalAmount
                groups[index].hasOtherSubtotal = groups[index].hasOtherSubtotal || group.hasOtherSubtotal
            }
        }
    }

    enum RowKind { case detail, subtotal, otherSubtotal, grandTotal }

    /// Users whose rows have been read, by key; the user being read is kept apart, so rows of one user (which
    /// the files keep together) cost no key string or dictionary access.
    private(set) var users: [String: User] = [:]
    private var userOrder: [String] = []
    private var currentKey: [UInt8] = []
    private var current: User?

    /// What the code in column 9 says the row is.
    static func rowKind(_ code: UnsafeBufferPointer<UInt8>) -> RowKind {
        guard code.count == 6 else { return .detail }
        if code.allSatisfy({ $0 == 0x39 }) { return .grandTotal }
        let (c2, c3, c4, c5) = (code[2], code[3], code[4], code[5])
        guard c2 == c3, c3 == c4, c4 == c5 else { return .detail }
        if c2 == 0x41 { return .subtotal }                    // AAAA
        if c2 == 0x45 || c2 == 0x5A { return .otherSubtotal }  // EEEE, ZZZZ
        return .detail
    }

    mutating func add(user: UnsafeBufferPointer<UInt8>, line: Int, row: RowKind, office: UnsafeBufferPointer<UInt8>?,
                      kind: UnsafeBufferPointer<UInt8>, amount: Int?) {
        if current == nil || !currentKey.elementsEqual(user) {
            flush()
            currentKey.removeAll(keepingCapacity: true)
            currentKey.append(contentsOf: user)
            current = User(firstLine: line)
        }
        guard var user = current else { return }
        current = nil  // keep `user` uniquely referenced while it changes
        defer { current = user }
        switch row {
        case .grandTotal:
            user.grandLines.append(line)
            user.grandAmount = amount
            return
        case .detail:
            user.detailAmount += amount ?? 0
            if amount == nil { user.amountsKnown = false }
        case .subtotal, .otherSubtotal:
            break
        }
        let index: Int
        if let found = user.groups.firstIndex(where: { Self.groupKey($0.key, is: office, kind) }) {
            index = found
        } else {
            user.groups.append(Group(key: Array(office ?? UnsafeBufferPointer(start: nil, count: 0)) + [0x2F] + Array(kind), firstLine: line))
            index = user.groups.count - 1
        }
        switch row {
        case .detail:
            user.groups[index].detailRows += 1
            user.groups[index].detailAmount += amount ?? 0
            if amount == nil { user.groups[index].amountsKnown = false }
        case .subtotal:
            user.groups[index].subtotalLine = line
            user.groups[index].subtotalAmount = amount
        case .otherSubtotal:
            user.groups[index].hasOtherSubtotal = true
        case .grandTotal:
            break
        }
    }

    static func groupKey(_ key: [UInt8], is office: UnsafeBufferPointer<UInt8>?, _ kind: UnsafeBufferPointer<UInt8>) -> Bool {
        let officeCount = office?.count ?? 0
        guard key.count == officeCount + 1 + kind.count else { return false }
        if let office, !key[0..<officeCount].elementsEqual(office) { return false }
        return key[officeCount + 1..<key.count].elementsEqual(kind)
    }

    /// Files the user being read under its key.
    mutating func flush() {
        guard let user = current else { return }
        current = nil
        let key = String(decoding: currentKey, as: UTF8.self)
        if users[key] == nil {
            users[key] = user
            userOrder.append(key)
        } else {
            users[key]?.merge(user)
        }
    }

    /// The findings once the whole file has been read.
    mutating func finish(into sink: inout FindingSink, amountColumn: ColumnSpec?, codeColumn: ColumnSpec?) {
        flush()
        for key in userOrder {
            guard let user = users[key] else { continue }
            var who: String { key.count > 6 ? key.prefix(6) + "/" + key.dropFirst(6) : key }
            if user.grandLines.isEmpty {
                sink.add(line: user.firstLine, column: codeColumn, code: .grandTotal, level: .error,
                         ja: "利用者 \(who) の全合計行（サービスコード 999999）がありません。",
                         en: "User \(who) has no grand-total row (service code 999999).")
            } else if user.grandLines.count > 1 {
                sink.add(line: user.grandLines[1], column: codeColumn, code: .grandTotal, level: .error,
                         ja: "利用者 \(who) の全合計行（999999）が \(user.grandLines.count) 行あります（1行のみ）。",
                         en: "User \(who) has \(user.grandLines.count) grand-total rows; exactly one is expected.")
            }
            for group in user.groups {
                var parts: [String] { String(decoding: group.key, as: UTF8.self).split(separator: "/").map { String($0) } }
                var kind: String { parts.last ?? "" }
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
