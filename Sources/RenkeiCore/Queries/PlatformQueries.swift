public import RenkeiModel
import RenkeiStore
import SwiftProtobuf

/// Which mailbox: what the office received, or what it sent.
public enum MailboxKind: Sendable {
    /// 受信一覧.
    case inbox
    /// 送信済一覧.
    case sent

    var box: Keys.Box { self == .inbox ? .inbox : .sent }
}

/// Filters on a mailbox listing; nil matches everything.
public struct MailboxFilter: Hashable, Sendable {
    public var status: PBUnitStatus?
    public var serviceMonth: String?
    public var partner: String?
    public var unitType: PBUnitType?

    /// A filter.
    public init(status: PBUnitStatus? = nil, serviceMonth: String? = nil, partner: String? = nil, unitType: PBUnitType? = nil) {
        self.status = status
        self.serviceMonth = serviceMonth
        self.partner = partner
        self.unitType = unitType
    }

    func matches(_ entry: PBMailboxEntry) -> Bool {
        (status == nil || entry.status == status) && (serviceMonth == nil || entry.serviceMonth == serviceMonth)
            && (partner == nil || entry.partner == partner) && (unitType == nil || entry.unitType == unitType)
    }
}

/// One page of a mailbox, in arrival order.
public struct MailboxPage: Sendable {
    /// The entries that matched.
    public let entries: [PBMailboxEntry]
    /// Pass as `after` for the next page; nil when the mailbox has no more entries.
    public let next: SequenceNumber?
}

/// Directory search (number prefix, name prefix, prefecture, service kind); every criterion given must hold.
public struct DirectoryQuery: Hashable, Sendable {
    public var numberPrefix: String?
    public var namePrefix: String?
    public var prefecture: Int?
    public var serviceKind: String?

    /// A query.
    public init(numberPrefix: String? = nil, namePrefix: String? = nil, prefecture: Int? = nil, serviceKind: String? = nil) {
        self.numberPrefix = numberPrefix
        self.namePrefix = namePrefix
        self.prefecture = prefecture
        self.serviceKind = serviceKind
    }
}

/// One event in an audit listing.
public struct AuditLine: Hashable, Sendable {
    public let sequence: SequenceNumber
    public let kind: EventKind
    public let timestamp: Timestamp
}

/// An office's licence charges in one fiscal year (April–March).
public struct BillingStatement: Hashable, Sendable {
    public let office: String
    public let fiscalYear: Int
    public let charges: [PBBillingEntry]
    /// Owed in the year, waived charges excluded.
    public var owedYen: Int { charges.filter { $0.settlement != .waived }.reduce(0) { $0 + Int($1.feeYen) } }
    /// Of that, offset against benefit payments.
    public var offsetYen: Int { charges.filter { $0.settlement == .benefitOffset }.reduce(0) { $0 + Int($1.feeYen) } }
    /// Of that, invoiced.
    public var invoicedYen: Int { charges.filter { $0.settlement == .invoice }.reduce(0) { $0 + Int($1.feeYen) } }
    /// Waived under the free-pass campaign.
    public var waivedYen: Int { charges.filter { $0.settlement == .waived }.reduce(0) { $0 + Int($1.feeYen) } }
}

/// What an office sent or received in a month.
public struct UsageSummary: Hashable, Sendable {
    public var units = 0
    public var files = 0
    public var bytes: UInt64 = 0
    public var unitsByType: [PBUnitType: Int] = [:]
    public var unitsByPartner: [String: Int] = [:]

    mutating func add(_ entry: PBUsageEntry) {
        units += 1
        files += Int(entry.fileCount)
        bytes += entry.byteCount
        unitsByType[entry.unitType, default: 0] += 1
        unitsByPartner[entry.partner, default: 0] += 1
    }
}

/// Reads the projections: offices and the directory, licences, certificates, mailboxes, units, audit,
/// billing and usage.
public struct PlatformQueries {
    let reader: any ProjectionReader
    private let pageSize = 512

    /// Queries over `reader`.
    public init(_ reader: any ProjectionReader) { self.reader = reader }

    func record<M: SwiftProtobuf.Message>(_ type: M.Type, _ key: StateKey) async throws -> M? {
        try await reader.value(forKey: key.key, in: key.space).map { try M(serializedBytes: $0) }
    }

    /// Every entry with a key starting with `prefix` (after `after`, when given), up to `limit`.
    func scan(_ space: KeySpace, prefix: [UInt8], after: [UInt8]? = nil, limit: Int = .max) async throws -> [KeyValue] {
        var all: [KeyValue] = []
        var lower = after.map { $0 + [0] } ?? prefix
        let upper = Keys.end(of: prefix)
        while all.count < limit {
            let want = min(pageSize, limit - all.count)
            let page = try await reader.entries(in: space, from: lower, to: upper, limit: want)
            all += page
            guard page.count == want, let last = page.last else { break }
            lower = last.key + [0]
        }
        return all
    }

    /// The office's record.
    public func office(_ number: String) async throws -> PBOfficeRecord? { try await record(PBOfficeRecord.self, Keys.office(number)) }
    /// The office's licence.
    public func license(_ number: String) async throws -> PBLicenseRecord? { try await record(PBLicenseRecord.self, Keys.license(number)) }
    /// Offices in 事業所番号 order, those with `status` only when given, after `after`, at most `limit`.
    public func offices(status: PBRegistrationStatus? = nil, after: String? = nil, limit: Int = 100) async throws -> [PBOfficeRecord] {
        var found: [PBOfficeRecord] = []
        var cursor = after.map { Array($0.utf8) }
        while found.count < limit {
            let page = try await scan(ProjectionSpaces.offices, prefix: [], after: cursor, limit: pageSize)
            for entry in page {
                let record = try PBOfficeRecord(serializedBytes: entry.value)
                if status == nil || record.status == status { found.append(record) }
                if found.count == limit { break }
            }
            guard page.count == pageSize, let last = page.last else { break }
            cursor = last.key
        }
        return found
    }

    /// Every licence record, in 事業所番号 order.
    public func licenses() async throws -> [PBLicenseRecord] {
        try await scan(ProjectionSpaces.licenses, prefix: []).map { try PBLicenseRecord(serializedBytes: $0.value) }
    }

    /// A certificate the platform recorded, by its serial number (hex).
    public func certificate(serial: String) async throws -> PBCertificateRecord? {
        try await record(PBCertificateRecord.self, Keys.certificate(serial))
    }
    /// A send unit, by its number: its state, sender and recipient, files, signature result and status history.
    public func unit(_ sequence: SequenceNumber) async throws -> PBUnitRecord? {
        guard var unit = try await record(PBUnitRecord.self, Keys.unit(sequence.rawValue)),
              let event = try await reader.event(at: sequence),
              let upload = try ExchangeProjection.upload(in: event) else { return nil }
        unit.upload = upload
        return unit
    }

    /// Registered (approved) offices matching `query`, by 事業所番号 or by name, at most `limit`.
    public func directory(_ query: DirectoryQuery, limit: Int = 100) async throws -> [PBOfficeRecord] {
        var candidates: [String] = []
        if let name = query.namePrefix {
            let prefix = [UInt8(ascii: "n")] + Array(name.utf8)
            candidates = try await scan(ProjectionSpaces.directory, prefix: prefix, limit: 10_000).map { String(decoding: $0.key.suffix(10), as: UTF8.self) }
        } else if let prefecture = query.prefecture {
            let prefix = [UInt8(ascii: "p")] + Array(Keys.twoDigits(UInt32(clamping: prefecture)).utf8) + Array((query.serviceKind ?? "").utf8)
            candidates = try await scan(ProjectionSpaces.directory, prefix: prefix, limit: 10_000).map { String(decoding: $0.key.suffix(10), as: UTF8.self) }
        } else {
            candidates = try await scan(ProjectionSpaces.offices, prefix: Array((query.numberPrefix ?? "").utf8), limit: 10_000).map { String(decoding: $0.key, as: UTF8.self) }
        }
        var found: [PBOfficeRecord] = []
        for number in Set(candidates).sorted() where found.count < limit {
            guard let record = try await office(number), record.status == .approved else { continue }
            if let prefix = query.numberPrefix, !number.hasPrefix(prefix) { continue }
            if let prefix = query.namePrefix, !record.name.hasPrefix(prefix) { continue }
            if let prefecture = query.prefecture, record.prefecture != prefecture { continue }
            if let kind = query.serviceKind, !record.serviceKinds.contains(kind) { continue }
            found.append(record)
        }
        return found
    }

    /// The office's certificates, by serial.
    public func certificates(of office: String) async throws -> [PBCertificateRecord] {
        var records: [PBCertificateRecord] = []
        for entry in try await scan(ProjectionSpaces.certificates, prefix: [UInt8(ascii: "o")] + Array(office.utf8)) {
            let serial = String(decoding: entry.key.dropFirst(11), as: UTF8.self)
            if let record = try await record(PBCertificateRecord.self, Keys.certificate(serial)) { records.append(record) }
        }
        return records
    }

    /// Unrevoked certificates that expire between `now` and `days` days later, soonest first.
    public func expiringCertificates(at now: Timestamp, withinDays days: Int = 30) async throws -> [PBCertificateRecord] {
        let lower = [UInt8(ascii: "e")] + Keys.time(now.rawValue)
        let upper = [UInt8(ascii: "e")] + Keys.time(now.rawValue + Int64(days) * 86_400_000_000)
        var records: [PBCertificateRecord] = []
        for entry in try await reader.entries(in: ProjectionSpaces.certificates, from: lower, to: upper, limit: 10_000) {
            let serial = String(decoding: entry.key.dropFirst(9), as: UTF8.self)
            if let record = try await record(PBCertificateRecord.self, Keys.certificate(serial)) { records.append(record) }
        }
        return records
    }

    /// A page of the office's inbox or sent list in arrival order, after the cursor `after`, filtered;
    /// scans at most `scanLimit` entries per call (the page then ends early with a cursor to go on from).
    public func mailbox(of office: String, _ kind: MailboxKind, filter: MailboxFilter = MailboxFilter(), after: SequenceNumber? = nil,
                        limit: Int = 100, scanLimit: Int = 10_000) async throws -> MailboxPage {
        let prefix = Keys.mailboxPrefix(office, kind.box)
        var lower = after.map { prefix + Keys.be64($0.rawValue) + [0] } ?? prefix
        let upper = Keys.end(of: prefix)
        var matched: [PBMailboxEntry] = []
        var scanned = 0
        var last: UInt64?
        while matched.count < limit, scanned < scanLimit {
            let want = min(pageSize, scanLimit - scanned)
            let page = try await reader.entries(in: ProjectionSpaces.mailboxes, from: lower, to: upper, limit: want)
            for entry in page {
                let line = try PBMailboxEntry(serializedBytes: entry.value)
                scanned += 1
                last = line.unit
                if filter.matches(line) {
                    matched.append(line)
                    if matched.count == limit { break }
                }
            }
            guard page.count == want, let key = page.last?.key else {
                return MailboxPage(entries: matched, next: matched.count == limit ? last.map { SequenceNumber($0) } : nil)
            }
            lower = key + [0]
        }
        return MailboxPage(entries: matched, next: last.map { SequenceNumber($0) })
    }

    /// Events concerning `office`, in log order, after `after`.
    public func audit(of office: String, after: SequenceNumber? = nil, limit: Int = 1000) async throws -> [AuditLine] {
        let prefix = [UInt8(ascii: "o")] + Array(office.utf8)
        return try await scan(ProjectionSpaces.audit, prefix: prefix, after: after.map { prefix + Keys.be64($0.rawValue) }, limit: limit).map { entry in
            let audit = try PBAuditEntry(serializedBytes: entry.value)
            return AuditLine(sequence: SequenceNumber(Keys.readBE64(entry.key.suffix(8))), kind: EventKind(rawValue: UInt16(audit.kind)), timestamp: Timestamp(rawValue: audit.micros))
        }
    }

    /// Every event committed in `from ..< to`, in time order.
    public func audit(from: Timestamp, to: Timestamp, limit: Int = 1000) async throws -> [AuditLine] {
        let lower = [UInt8(ascii: "t")] + Keys.time(from.rawValue)
        let upper = [UInt8(ascii: "t")] + Keys.time(to.rawValue)
        return try await reader.entries(in: ProjectionSpaces.audit, from: lower, to: upper, limit: limit).map { entry in
            let audit = try PBAuditEntry(serializedBytes: entry.value)
            return AuditLine(sequence: SequenceNumber(Keys.readBE64(entry.key.suffix(8))), kind: EventKind(rawValue: UInt16(audit.kind)), timestamp: Timestamp(rawValue: audit.micros))
        }
    }

    /// The office's licence charges in fiscal year `fiscalYear` (April `fiscalYear` to March next year).
    public func billingStatement(of office: String, fiscalYear: Int) async throws -> BillingStatement {
        let charges = try await scan(ProjectionSpaces.billing, prefix: Array(office.utf8) + Array(String(fiscalYear).utf8)).map {
            try PBBillingEntry(serializedBytes: $0.value)
        }
        return BillingStatement(office: office, fiscalYear: fiscalYear, charges: charges)
    }

    /// What the office sent and received for service month `month` (yyyymm; 000000 for units without one).
    public func usage(of office: String, month: String) async throws -> (sent: UsageSummary, received: UsageSummary) {
        var sent = UsageSummary(), received = UsageSummary()
        for entry in try await scan(ProjectionSpaces.usage, prefix: [UInt8(ascii: "o")] + Array(office.utf8) + Array(month.utf8)) {
            let usage = try PBUsageEntry(serializedBytes: entry.value)
            if usage.sent { sent.add(usage) } else { received.add(usage) }
        }
        return (sent, received)
    }

    /// Units sent in service month `month`, by the sender's prefecture: the operator's statistics.
    public func sentByPrefecture(month: String) async throws -> [Int: UsageSummary] {
        var byPrefecture: [Int: UsageSummary] = [:]
        for entry in try await scan(ProjectionSpaces.usage, prefix: [UInt8(ascii: "m")] + Array(month.utf8)) {
            let usage = try PBUsageEntry(serializedBytes: entry.value)
            if usage.sent { byPrefecture[Int(usage.prefecture), default: UsageSummary()].add(usage) }
        }
        return byPrefecture
    }
}

extension Platform {
    /// Runs `body` with queries over one consistent snapshot of the live projections.
    public func query<R: Sendable>(_ body: @Sendable (PlatformQueries) async throws -> R) async throws(DomainError) -> R {
        try await guarded { try await store.read { snapshot in try await body(PlatformQueries(SnapshotProjectionReader(snapshot))) } }
    }
}
