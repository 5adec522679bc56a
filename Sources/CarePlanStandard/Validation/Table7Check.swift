/// The 第7表 (UPSIKYU) special-row rules, judged per user as the file streams by: one 全合計 row (999999) per
/// user (T7-1), a 種類別小計 row (<kind>AAAA) for every office and kind with more than one row (T7-2), and the sums
/// (T7-4, warnings: rounding follows the billing rules, not this standard).
///
/// A user's rows are kept together in the file, as on the printed 別表; each user is judged when their rows end,
/// so memory holds one user plus an 8-byte hash of every user seen. A user whose rows appear again later gets a
/// T7-1 warning, and each run of rows is judged on its own.
///
/// Bounded whatever the file holds: a user's 全合計 rows are counted (only the first two lines are kept), at most
/// `maxGroupsPerUser` office/kind groups are kept per user, and at most `maxUsers` user hashes; users first seen
/// past that are not checked for being together, and ``untrackedUsersLine`` says where that began (LIMIT-5).
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
        /// 全合計 rows (999999) of the user: how many, and the lines of the first two (the second is where a
        /// duplicate is reported); never a list, so a user with a million 全合計 rows costs two integers.
        var grandTotalRows = 0
        var firstGrandLine: Int?
        var secondGrandLine: Int?
        var grandAmount: Int?
        /// The user's office/kind groups in the order first seen (so findings come out in file order).
        var groups: [Group] = []
        /// Where each group's key is in `groups`.
        var groupIndex: [[UInt8]: Int] = [:]
        /// Rows whose group was not kept because the user already had `maxGroupsPerUser` groups.
        var untrackedRows = 0
        var untrackedFirstLine: Int?
        var detailAmount = 0
        var amountsKnown = true
    }

    enum RowKind { case detail, subtotal, otherSubtotal, grandTotal }

    /// The most office/kind groups kept per user; rows of further groups are counted and reported once.
    static let defaultMaxGroupsPerUser = 1000

    let amountColumn: ColumnSpec?
    let codeColumn: ColumnSpec?
    let maxGroupsPerUser: Int
    /// The most users whose hash is kept for the "rows together" check.
    let maxUsers: Int
    /// The first line of a user seen after `maxUsers` users were kept, or `nil`.
    private(set) var untrackedUsersLine: Int?
    private var currentKey: [UInt8] = []
    /// Scratch buffer for the group key of the row being added.
    private var groupKey: [UInt8] = []
    private var current: User?
    private var seen: Set<UInt64> = []

    init(amountColumn: ColumnSpec?, codeColumn: ColumnSpec?, maxGroupsPerUser: Int = Table7Check.defaultMaxGroupsPerUser,
         maxUsers: Int = StandardChecker.defaultMaxKeysPerFile) {
        self.amountColumn = amountColumn
        self.codeColumn = codeColumn
        self.maxGroupsPerUser = maxGroupsPerUser
        self.maxUsers = maxUsers
    }

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

    /// Adds a row of the user whose 保険者番号 and 被保険者番号 are `user`.
    mutating func add(user: UnsafeBufferPointer<UInt8>, line: Int, row: RowKind, office: UnsafeBufferPointer<UInt8>?,
                      kind: UnsafeBufferPointer<UInt8>, amount: Int?, into sink: inout FindingSink) {
        if current == nil || !user.hasSameBytes(as: currentKey) {
            finishUser(into: &sink)
            currentKey.removeAll(keepingCapacity: true)
            currentKey.append(contentsOf: user)
            current = User(firstLine: line)
            let hash = Self.hash(user)
            if seen.count >= maxUsers, !seen.contains(hash) {
                untrackedUsersLine = untrackedUsersLine ?? line
            } else if !seen.insert(hash).inserted {
                sink.add(line: line, column: codeColumn, code: .grandTotal, level: .warning,
                         ja: "利用者 \(who) の行が連続していません。第7表の検査は連続する行ごとに行います。",
                         en: "User \(who)'s rows are not together; the 第7表 checks judge each run of rows on its own.")
            }
        }
        guard var user = current else { return }
        current = nil  // keep `user` uniquely referenced while it changes
        defer { current = user }
        switch row {
        case .grandTotal:
            user.grandTotalRows += 1
            if user.firstGrandLine == nil { user.firstGrandLine = line } else if user.secondGrandLine == nil { user.secondGrandLine = line }
            user.grandAmount = amount
            return
        case .detail:
            user.detailAmount += amount ?? 0
            if amount == nil { user.amountsKnown = false }
        case .subtotal, .otherSubtotal:
            break
        }
        groupKey.removeAll(keepingCapacity: true)
        if let office { groupKey.append(contentsOf: office) }
        groupKey.append(0x2F)
        groupKey.append(contentsOf: kind)
        let index: Int
        if let found = user.groupIndex[groupKey] {
            index = found
        } else if user.groups.count < maxGroupsPerUser {
            index = user.groups.count
            user.groups.append(Group(key: groupKey, firstLine: line))
            user.groupIndex[groupKey] = index
        } else {
            user.untrackedRows += 1
            if user.untrackedFirstLine == nil { user.untrackedFirstLine = line }
            return
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

    /// FNV-1a, 64 bits: enough to notice a user seen before (a collision costs at most a wrong warning).
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return hash
    }

    /// The current user as a user reads it: 保険者番号/被保険者番号.
    private var who: String {
        let key = String(decoding: currentKey, as: UTF8.self)
        return key.count > 6 ? key.prefix(6) + "/" + key.dropFirst(6) : key
    }

    /// Judges the user whose rows just ended.
    mutating func finishUser(into sink: inout FindingSink) {
        guard let user = current else { return }
        current = nil
        if user.grandTotalRows == 0 {
            sink.add(line: user.firstLine, column: codeColumn, code: .grandTotal, level: .error,
                     ja: "利用者 \(who) の全合計行（サービスコード 999999）がありません。",
                     en: "User \(who) has no grand-total row (service code 999999).")
        } else if user.grandTotalRows > 1 {
            sink.add(line: user.secondGrandLine, column: codeColumn, code: .grandTotal, level: .error,
                     ja: "利用者 \(who) の全合計行（999999）が \(user.grandTotalRows) 行あります（1行のみ）。",
                     en: "User \(who) has \(user.grandTotalRows) grand-total rows; exactly one is expected.")
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
        if let line = user.untrackedFirstLine {
            sink.add(line: line, column: codeColumn, code: .subtotal, level: .warning,
                     ja: "利用者 \(who) の事業所・サービス種類の組が \(maxGroupsPerUser) を超えています。以降の \(user.untrackedRows) 行は種類別小計の検査をしていません。",
                     en: "User \(who) has more than \(maxGroupsPerUser) office/kind groups; the subtotal checks skipped the remaining \(user.untrackedRows) rows.")
        }
        if let amount = user.grandAmount, user.amountsKnown, user.grandTotalRows == 1, let line = user.firstGrandLine,
           amount != user.detailAmount {
            sink.add(line: line, column: amountColumn, code: .arithmetic, level: .warning,
                     ja: "全合計のサービス単位金額 \(amount) が明細の合計 \(user.detailAmount) と一致しません。",
                     en: "The grand-total amount \(amount) differs from the sum of the rows, \(user.detailAmount).")
        }
    }
}
