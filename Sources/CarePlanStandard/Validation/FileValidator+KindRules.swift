import RenkeiModel

/// The 0-based indices of the columns the kind rules use, looked up once per file.
struct ColumnIndex {
    let version, insurer, insured, targetMonth, deleteTargetMonth, planDate, serviceDate, proratedDays: Int?
    let serviceCode, taisCode, notifCode, detailDiscriminator, serviceProvider, updater: Int?
    let serviceOffice, units, discountRate, discountedUnits, count, amount, totalCost, claim, copay: Int?
    let satelliteBranch, benefitManagedUnits, classLimitExcess, classLimitWithin, careManagementOffice, serviceKind: Int?
    /// The columns of the record's own key (as a parent) and of its link to a parent.
    let ownKey: [Int]
    let parentKey: [Int]

    init(layout: Layout?) {
        func at(_ key: String) -> Int? { layout?.index(of: key) }
        version = at("csvVersion"); insurer = at("insurerNo"); insured = at("insuredNo")
        targetMonth = at("targetMonth"); deleteTargetMonth = at("deleteTargetMonth")
        planDate = at("planCreatedOrChangedDate"); serviceDate = at("serviceDate"); proratedDays = at("proratedDays")
        serviceCode = at("serviceCode"); taisCode = at("taisCode"); notifCode = at("welfareEquipmentNotifCode")
        detailDiscriminator = at("detailDiscriminator"); serviceProvider = at("serviceProviderNo"); updater = at("updaterOfficeNo")
        serviceOffice = at("serviceOfficeNo"); units = at("units"); discountRate = at("discountRate")
        discountedUnits = at("discountedUnits"); count = at("countOrDays"); amount = at("serviceUnitAmount")
        totalCost = at("totalCost"); claim = at("insuranceClaimAmount"); copay = at("userCopayInsured")
        satelliteBranch = at("satelliteBranchNo"); benefitManagedUnits = at("benefitManagedUnits")
        classLimitExcess = at("classLimitExcessUnits"); classLimitWithin = at("classLimitWithinUnits")
        careManagementOffice = at("careManagementOfficeNo"); serviceKind = at("serviceKind")
        let keyColumns = (layout?.parentKey ?? []).compactMap { layout?.index(of: $0) }
        if let layout, layout.parentKinds.isEmpty { ownKey = keyColumns; parentKey = [] } else { ownKey = []; parentKey = keyColumns }
    }
}

extension FileValidator {
    mutating func checkKindRules(_ fields: inout FieldValues) {
        checkVersion(fields)
        if kindRules.checksTargetMonth { checkMonth(&fields, column: columns.targetMonth) }
        if kindRules.checksDeleteTargetMonth { checkMonth(&fields, column: columns.deleteTargetMonth) }
        if kindRules.isSupplement { checkSupplement(fields) } else { collectKeys(fields) }
        if kindRules.isTable6 { checkTable6(fields) }
        if kindRules.isUsageAnnex { checkTable7(fields) }
        if kindRules.isPlan1 { checkRowSender(fields, columns.careManagementOffice, sender: senderOffice, what: ("介護支援事業者コード", "care-management office")) }
        if kindRules.isActualDelete {
            checkRowSender(fields, columns.serviceProvider, sender: senderOffice, what: ("サービス事業者コード", "service provider"))
            checkRowSender(fields, columns.serviceKind, sender: senderKind, what: ("サービス種類コード", "service kind"))
        }
    }

    /// OFFICE-1: the column names the file's sender (an error: the platform refuses a unit that speaks for
    /// another office).
    mutating func checkRowSender(_ fields: FieldValues, _ index: Int?, sender: [UInt8]?, what: (ja: String, en: String)) {
        guard let index, let sender, let value = fields.good(index), !value.isEmpty, !value.hasSameBytes(as: sender) else { return }
        let found = String(decoding: value, as: UTF8.self), expected = String(decoding: sender, as: UTF8.self)
        sink.add(line: fields.line(of: index), column: column(index), code: .rowSender, level: .error,
                 ja: "\(what.ja)「\(found)」がファイル名の送信元「\(expected)」と違います。",
                 en: "The \(what.en) '\(found)' is not the file's sender '\(expected)'.")
    }

    func column(_ index: Int?) -> ColumnSpec? { index.flatMap { layout?.columns[safe: $0] } }

    mutating func checkVersion(_ fields: FieldValues) {
        guard let value = fields.good(columns.version) else { return }
        guard let version else {
            version = Array(value)
            let text = String(decoding: value, as: UTF8.self)
            let month = name?.month?.description ?? fields.good(columns.targetMonth).map { String(decoding: $0, as: UTF8.self) } ?? "999999"
            let expected = definition.csvVersionHistory.last { $0.fromMonth <= month }?.version ?? definition.csvVersion
            if text != expected {
                // An earlier edition's value names a layout the receiver knows (a warning); any other value names
                // none, so the receiving software cannot read the file (an error).
                let known = definition.csvVersionHistory.contains { $0.version == text }
                sink.add(line: fields.line(of: 0), column: column(columns.version), code: .versionValue, level: known ? .warning : .error,
                         ja: "CSVバージョン「\(text)」は\(known ? "旧版の値" : "標準仕様にない値")です。サービス提供年月 \(month == "999999" ? "" : month + " ")には「\(expected)」を使います。",
                         en: "CSV version '\(text)' is \(known ? "an earlier edition's value" : "not a value of the standard"); expected '\(expected)'.")
            }
            return
        }
        if !value.hasSameBytes(as: version) {
            sink.add(line: fields.line(of: 0), column: column(columns.version), code: .version, level: .error,
                     ja: "CSVバージョン「\(String(decoding: value, as: UTF8.self))」が1行目の「\(String(decoding: version, as: UTF8.self))」と違います（1ファイルに1バージョン）。",
                     en: "CSV version '\(String(decoding: value, as: UTF8.self))' differs from the first record's '\(String(decoding: version, as: UTF8.self))'.")
        }
    }

    /// MONTH-1: one service month per file, equal to the name's month. A record in another month is left out of
    /// the key checks (its month is already reported).
    mutating func checkMonth(_ fields: inout FieldValues, column index: Int?) {
        guard let index, let value = fields.good(index) else { return }
        guard let fileMonth else { fileMonth = Array(value); return }
        if !value.hasSameBytes(as: fileMonth) {
            fields.markBad(index)
            let fromName = name?.monthSegment != nil
            let got = String(decoding: value, as: UTF8.self), want = String(decoding: fileMonth, as: UTF8.self)
            sink.add(line: fields.line(of: index), column: column(index), code: .month, level: .error,
                     ja: "対象年月「\(got)」が\(fromName ? "ファイル名" : "1行目")の年月「\(want)」と違います（1ファイルに1か月分）。",
                     en: "Month '\(got)' differs from the \(fromName ? "file name's" : "first record's") month '\(want)' (one service month per file).")
        }
    }

    /// MONTH-2: UPHOSOKU's 000000 / 00000000 rule, and its link to 第1表 or 第6表.
    mutating func checkSupplement(_ fields: FieldValues) {
        guard let monthIndex = columns.targetMonth, let dateIndex = columns.planDate,
              let month = fields.good(monthIndex), let date = fields.good(dateIndex) else { return }
        let zeroMonth = month.allSatisfy { $0 == 0x30 }
        let zeroDate = date.allSatisfy { $0 == 0x30 }
        let monthText = String(decoding: month, as: UTF8.self)
        if let segment = name?.monthSegment {
            if segment == "000000" && (!zeroMonth || zeroDate) {
                sink.add(line: fields.line(of: monthIndex), column: column(zeroMonth ? dateIndex : monthIndex), code: .supplementMonth, level: .error,
                         ja: "ファイル名の年月が 000000（第1表の送信単位）なので、対象年月は 000000、計画作成（変更）日は実在の日付にしてください。",
                         en: "The name's month is 000000 (第1表 unit): targetMonth must be 000000 and planCreatedOrChangedDate a real date.")
            } else if segment != "000000" && (monthText != segment || !zeroDate) {
                sink.add(line: fields.line(of: monthIndex), column: column(monthText != segment ? monthIndex : dateIndex), code: .supplementMonth, level: .error,
                         ja: "ファイル名の年月が \(segment)（第6表の送信単位）なので、対象年月は \(segment)、計画作成（変更）日は 00000000 にしてください。",
                         en: "The name's month is \(segment) (第6表 unit): targetMonth must be \(segment) and planCreatedOrChangedDate 00000000.")
            }
        } else if zeroMonth == zeroDate {
            sink.add(line: fields.line(of: monthIndex), column: column(monthIndex), code: .supplementMonth, level: .error,
                     ja: "対象年月と計画作成（変更）日のどちらか一方だけが 0 です（000000 / 00000000）。",
                     en: "Exactly one of targetMonth (000000) and planCreatedOrChangedDate (00000000) must be zeros.")
        }
        guard let insurer = fields.good(columns.insurer), let insured = fields.good(columns.insured) else { return }
        let parent: FileKind = zeroMonth ? .plan1 : .usagePlan
        let key = Self.key([insurer, insured, zeroMonth ? date : month])
        facts.keep(key, parent: parent, line: fields.line(of: 0), limit: keyLimit.count)
    }

    mutating func collectKeys(_ fields: FieldValues) {
        guard !kindRules.isDeletion else { return }
        let indices = columns.ownKey.isEmpty ? columns.parentKey : columns.ownKey
        guard !indices.isEmpty, !sameKeyAsLastRecord(fields, indices), let key = key(fields, indices) else { return }
        if !columns.ownKey.isEmpty {
            facts.keep(key, parent: nil, line: fields.line(of: 0), limit: keyLimit.count)
        } else if let parent = keyParent {
            facts.keep(key, parent: parent, line: fields.line(of: 0), limit: keyLimit.count)
        }
    }

    /// Whether the record's key bytes equal the previous record's (a user's records are usually together), so the
    /// key string is built once per run of records rather than once per record. The key bytes are the key
    /// fields, each followed by 0x1F; they are compared where they lie and copied only when they change. A
    /// record with a bad key field is never the same and leaves the previous key as it was.
    mutating func sameKeyAsLastRecord(_ fields: FieldValues, _ indices: [Int]) -> Bool {
        var matches = true
        var offset = 0
        previousKeyBytes.withUnsafeBufferPointer { previous in
            for index in indices {
                guard let value = fields.good(index) else { matches = false; offset = -1; return }
                guard matches else { continue }
                let end = offset + value.count
                if end < previous.count, previous[end] == 0x1F,
                   UnsafeBufferPointer(rebasing: previous[offset..<end]).hasSameBytes(as: value) {
                    offset = end + 1
                } else {
                    matches = false
                }
            }
        }
        guard offset >= 0 else { return false }  // a bad key field
        if matches && offset == previousKeyBytes.count { return true }
        previousKeyBytes.removeAll(keepingCapacity: true)
        for index in indices {
            guard let value = fields.good(index) else { return false }
            previousKeyBytes.append(contentsOf: value)
            previousKeyBytes.append(0x1F)
        }
        return false
    }

    func key(_ fields: FieldValues, _ indices: [Int]) -> String? {
        var parts: [UnsafeBufferPointer<UInt8>] = []
        for index in indices {
            guard let value = fields.good(index) else { return nil }
            parts.append(value)
        }
        return Self.key(parts)
    }

    static func key(_ parts: [UnsafeBufferPointer<UInt8>]) -> String {
        parts.map { String(decoding: $0, as: UTF8.self) }.joined(separator: "\u{1F}")
    }

    /// A field as a signed integer, or `nil` when empty or not a number.
    static func integer(_ value: UnsafeBufferPointer<UInt8>?) -> Int? {
        guard let value, !value.isEmpty else { return nil }
        if value[0] == 0x2D { return DecimalDigits.value(of: value[1...]).map { -$0 } }
        return DecimalDigits.value(of: value)
    }
}
