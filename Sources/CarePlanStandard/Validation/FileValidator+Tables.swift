import RenkeiModel

extension FileValidator {
    /// 第6表 (UPPLAN, UPJSK): T6-1 … T6-6.
    mutating func checkTable6(_ fields: FieldValues) {
        let serviceKind = fields.good(columns.serviceCode).map(ServiceKindBytes.init(code:))
        if let dateIndex = columns.serviceDate, let date = fields.good(dateIndex), let month = fileMonth,
           !UnsafeBufferPointer(rebasing: date[0..<6]).hasSameBytes(as: month) {
            sink.add(line: fields.line(of: dateIndex), column: column(dateIndex), code: .serviceDate, level: .error,
                     ja: "サービス利用日「\(String(decoding: date, as: UTF8.self))」が対象年月 \(String(decoding: month, as: UTF8.self)) の日付ではありません。",
                     en: "Service date '\(String(decoding: date, as: UTF8.self))' is not in the month \(String(decoding: month, as: UTF8.self)).")
        }
        if let index = columns.proratedDays, let flags = fields.good(index), flags.count == 31, let month = fileMonth,
           let yearMonth = YearMonth(ascii: month), flags[yearMonth.dayCount...].contains(0x31) {
            sink.add(line: fields.line(of: index), column: column(index), code: .field, level: .warning,
                     ja: "日割対象日に月の日数（\(yearMonth.dayCount) 日）を超える日が 1 になっています。",
                     en: "The prorated-days flags mark days past the month's \(yearMonth.dayCount) days.")
        }
        if let index = columns.proratedDays, let flags = fields.good(index), !flags.isEmpty, !flags.contains(0x31) {
            sink.add(line: fields.line(of: index), column: column(index), code: .table6Optional, level: .warning,
                     ja: "日割対象日が指定されていますが、1 の日がありません。日割でなければ空欄にします。",
                     en: "The prorated-days flags mark no day: leave the column empty unless the service is prorated (日割).")
        }
        if let index = columns.satelliteBranch, let provider = fields.good(columns.serviceProvider), let serviceKind {
            let branch = fields.good(index) ?? UnsafeBufferPointer(start: nil, count: 0)
            if !branch.isEmpty, branch.allSatisfy({ $0 == 0x30 }) {
                sink.add(line: fields.line(of: index), column: column(index), code: .table6Optional, level: .warning,
                         ja: "サテライト枝番 0 はありません（1 以上、サテライトでなければ空欄）。",
                         en: "Satellite branch 0 does not exist (1 and up; empty when not a satellite).")
            }
            satellites.note(office: provider, kind: serviceKind, hasBranch: !branch.isEmpty, line: fields.line(of: index))
        }
        if let serviceKind { checkEquipment(fields, serviceKind: serviceKind) }
        if let serviceKind, let index = columns.detailDiscriminator, !(fields.good(index)?.isEmpty ?? true),
           !serviceKind.isWelfareEquipmentRental {
            sink.add(line: fields.line(of: index), column: column(index), code: .table6Optional, level: .warning,
                     ja: "明細判別コードは福祉用具貸与（17/67）のときだけ使います。", en: "The detail discriminator is only for welfare-equipment rental (17/67).")
        }
        if let serviceKind, !isInScope(serviceKind) {
            sink.addOnce(key: "T6-5/\(serviceKind.text)", line: fields.line(of: columns.serviceCode ?? 0), column: column(columns.serviceCode),
                         code: .serviceKindScope, level: .warning,
                         ja: "サービス種類 \(serviceKind.text) は連携対象外です（この種類の以降の指摘は省略）。",
                         en: "Service kind \(serviceKind.text) is not exchanged under the standard (reported once per kind).")
        }
        if let senderOffice, let index = columns.updater, let updater = fields.good(index), !updater.isEmpty,
           !updater.hasSameBytes(as: senderOffice) {
            sink.addOnce(key: "T6-4", line: fields.line(of: index), column: column(index), code: .updater, level: .warning,
                         ja: "更新業者コード「\(String(decoding: updater, as: UTF8.self))」が送信元事業所番号と違います（以降の同じ指摘は省略）。",
                         en: "The updater office '\(String(decoding: updater, as: UTF8.self))' is not the sender (reported once per file).")
        }
        if kindRules.isActual, let senderOffice, let index = columns.serviceProvider, let provider = fields.good(index),
           !provider.hasSameBytes(as: senderOffice) {
            sink.addOnce(key: "T6-6/office", line: fields.line(of: index), column: column(index), code: .actualSender, level: .warning,
                         ja: "実績のサービス事業者コード「\(String(decoding: provider, as: UTF8.self))」がファイル名の送信元と違います（以降の同じ指摘は省略）。",
                         en: "The 実績 provider '\(String(decoding: provider, as: UTF8.self))' is not the file's sender (reported once per file).")
        }
        if kindRules.isActual, let senderKind, let serviceKind, !serviceKind.matches(senderKind) {
            sink.addOnce(key: "T6-6/kind", line: fields.line(of: columns.serviceCode ?? 0), column: column(columns.serviceCode),
                         code: .actualSender, level: .warning,
                         ja: "実績のサービス種類 \(serviceKind.text) がファイル名の送信元サービス種類と違います（以降の同じ指摘は省略）。",
                         en: "The 実績 service kind \(serviceKind.text) is not the file's sender kind (reported once per file).")
        }
    }

    /// T6-5: whether `serviceKind` is exchanged under the standard (asking the definition's set only when the kind
    /// differs from the last one asked about).
    mutating func isInScope(_ serviceKind: ServiceKindBytes) -> Bool {
        if let last = lastScopeLookup, last.kind == serviceKind { return last.inScope }
        let inScope = definition.serviceKindsInScope.contains(serviceKind.text)
        lastScopeLookup = (serviceKind, inScope)
        return inScope
    }

    /// T6-2: 福祉用具貸与 (17, 67) needs a TAIS code or a 届出コード.
    mutating func checkEquipment(_ fields: FieldValues, serviceKind: ServiceKindBytes) {
        guard serviceKind.isWelfareEquipmentRental else { return }
        let tais = fields[columns.taisCode ?? 0], notif = fields[columns.notifCode ?? 0]
        if columns.taisCode != nil, tais.isEmpty, notif.isEmpty {
            sink.add(line: fields.line(of: columns.taisCode ?? 0), column: column(columns.taisCode), code: .welfareEquipment, level: .error,
                     ja: "福祉用具貸与（\(serviceKind.text)）には TAISコードか福祉用具届出コードが必要です。",
                     en: "Welfare-equipment rental (\(serviceKind.text)) needs a TAIS code or a notification code.")
        }
    }

    /// 第7表 (UPSIKYU): row values (T7-1 office on special rows, T7-3) now; the per-user rules at the end.
    mutating func checkTable7(_ fields: FieldValues) {
        guard let codeIndex = columns.serviceCode, let code = fields.good(codeIndex),
              let insurer = fields.good(columns.insurer), fields.good(columns.insured) != nil else { return }
        let row = Table7Check.rowKind(code)
        let office = fields.good(columns.serviceOffice)
        let officeIsAllNines = office.map { $0.count == 10 && $0.allSatisfy { $0 == 0x39 } } ?? false
        let line = fields.line(of: 0)
        switch row {
        case .grandTotal:
            if let office, !officeIsAllNines {
                sink.add(line: line, column: column(columns.serviceOffice), code: .grandTotal, level: .error,
                         ja: "全合計行（999999）のサービス事業所コードは 9999999999 です（「\(String(decoding: office, as: UTF8.self))」）。",
                         en: "The grand-total row's office code must be 9999999999 (found '\(String(decoding: office, as: UTF8.self))').")
            }
            checkSpecialRowValues(fields, line: line)
        case .subtotal, .otherSubtotal:
            checkSpecialRowValues(fields, line: line)
        case .detail:
            if officeIsAllNines {
                sink.add(line: line, column: column(columns.serviceOffice), code: .grandTotal, level: .error,
                         ja: "9999999999 は全合計行（999999）だけに使えます。", en: "9999999999 is only for the grand-total row (999999).")
            }
            let serviceKind = ServiceKindBytes(code: code)
            checkEquipment(fields, serviceKind: serviceKind)
            if !isInScope(serviceKind) {
                sink.addOnce(key: "T6-5/\(serviceKind.text)", line: line, column: column(columns.serviceCode), code: .serviceKindScope, level: .warning,
                             ja: "サービス種類 \(serviceKind.text) は連携対象外です（この種類の以降の指摘は省略）。",
                             en: "Service kind \(serviceKind.text) is not exchanged under the standard (reported once per kind).")
            }
            let units = Self.integer(fields.good(columns.discountedUnits)) ?? Self.integer(fields.good(columns.units))
            if let units, let count = Self.integer(fields.good(columns.count)), let amount = Self.integer(fields.good(columns.amount)),
               amount != units * count {
                sink.add(line: line, column: column(columns.amount), code: .arithmetic, level: .warning,
                         ja: "サービス単位金額 \(amount) が 単位数 \(units) × 回数 \(count) = \(units * count) と一致しません。",
                         en: "The amount \(amount) is not units \(units) × count \(count) = \(units * count).")
            }
        }
        // 区分支給限度基準内単位数 + 区分支給限度基準を超える単位数 = 給付管理単位数.
        if let managed = Self.integer(fields.good(columns.benefitManagedUnits)),
           let excess = Self.integer(fields.good(columns.classLimitExcess)), let within = Self.integer(fields.good(columns.classLimitWithin)),
           within + excess != managed {
            sink.add(line: line, column: column(columns.benefitManagedUnits), code: .arithmetic, level: .warning,
                     ja: "区分支給限度基準内単位数 \(within) ＋ 基準を超える単位数 \(excess) が 給付管理単位数 \(managed) と一致しません。",
                     en: "Units within the class limit \(within) + units over it \(excess) is not the benefit-managed units \(managed).")
        }
        if let cost = Self.integer(fields.good(columns.totalCost)), let claim = Self.integer(fields.good(columns.claim)),
           let copay = Self.integer(fields.good(columns.copay)), cost - claim != copay {
            sink.add(line: line, column: column(columns.copay), code: .arithmetic, level: .warning,
                     ja: "費用総額 \(cost) − 請求額 \(claim) が 利用者負担 \(copay) と一致しません。",
                     en: "Total cost \(cost) − claim \(claim) is not the copay \(copay).")
        }
        // The user key: 保険者番号 (6 digits, checked) followed by 被保険者番号, as they lie in the record.
        guard let insurerIndex = columns.insurer, let insuredIndex = columns.insured, insuredIndex == insurerIndex + 1,
              insurer.count == 6 else { return }
        table7.add(user: fields.span(insurerIndex, through: insuredIndex), line: line, row: row, office: office, kind: UnsafeBufferPointer(rebasing: code[0..<2]),
                   amount: Self.integer(fields.good(columns.amount)), into: &sink)
    }

    /// T7-3: on subtotal and total rows, 単位数 is 0 and 割引後率/割引後単位数 are empty.
    mutating func checkSpecialRowValues(_ fields: FieldValues, line: Int) {
        if let index = columns.units, let units = fields.good(index), !(units.count == 1 && units[0] == 0x30) {
            sink.add(line: line, column: column(index), code: .specialRowValues, level: .error,
                     ja: "小計・合計行の単位数は 0 です（「\(String(decoding: units, as: UTF8.self))」）。",
                     en: "Units on a subtotal or total row must be 0 (found '\(String(decoding: units, as: UTF8.self))').")
        }
        for index in [columns.discountRate, columns.discountedUnits].compactMap({ $0 }) where !fields[index].isEmpty {
            sink.add(line: line, column: column(index), code: .specialRowValues, level: .error,
                     ja: "小計・合計行の割引後率・割引後単位数は空欄です。", en: "Discount columns must be empty on subtotal and total rows.")
        }
    }

    /// Ends the file: the per-user 第7表 rules, then the findings and facts.
    mutating func finish() -> (findings: [Finding], facts: FileFacts, errors: Int, warnings: Int) {
        if kindRules.isUsageAnnex {
            table7.finishUser(into: &sink)
        }
        for line in satellites.mixedLines {
            sink.add(line: line, column: column(columns.satelliteBranch), code: .table6Optional, level: .warning,
                     ja: "同じ事業所・サービス種類で、サテライト枝番のある行とない行が混在しています。",
                     en: "Rows of one office and service kind mix a satellite branch number with none.")
        }
        let limitLines = [facts.keyLimitLine, table7.untrackedUsersLine].compactMap { $0 }
        if let line = limitLines.min() {
            sink.add(keyLimit.finding(file: sink.file, line: line, table7: table7.untrackedUsersLine != nil),
                     evenPastLimit: true)
        }
        if facts.recordCount == 0 && layout != nil && !unreadable {
            sink.add(line: nil, column: nil, code: .columnCount, level: .warning, ja: "レコードがありません（空のファイル）。", en: "The file holds no records.")
        }
        return (sink.finished(), facts, sink.errorCount, sink.warningCount)
    }
}

/// A サービス種類コード: the first two bytes of a サービスコード that passed its field check (so ASCII), compared
/// as bytes rather than made into a String for every row; ``text`` is for messages and the in-scope set.
struct ServiceKindBytes: Equatable {
    let first: UInt8
    let second: UInt8

    /// The kind of `code`, a checked サービスコード (6 characters; the kind is its first two).
    init(code: UnsafeBufferPointer<UInt8>) {
        first = code[0]
        second = code[1]
    }

    var text: String { String(decoding: [first, second], as: UTF8.self) }

    /// 福祉用具貸与: 17, or 67 (介護予防).
    var isWelfareEquipmentRental: Bool { (first == 0x31 || first == 0x36) && second == 0x37 }

    /// Whether `bytes` are this kind's two bytes.
    func matches(_ bytes: [UInt8]) -> Bool { bytes.count == 2 && bytes[0] == first && bytes[1] == second }
}
