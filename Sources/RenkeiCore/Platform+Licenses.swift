public import RenkeiModel
public import RenkeiStore

/// How a licence fee is settled.
public enum LicenseSettlement: Sendable, Hashable {
    /// Offset against the office's benefit payments (国保連の支払から相殺): the default.
    case benefitOffset
    /// Invoiced.
    case invoice
    /// Waived under the free-pass campaign (フリーパスキャンペーン): nothing is owed for that year.
    case waived

    var proto: PBSettlement {
        switch self {
        case .benefitOffset: .benefitOffset
        case .invoice: .invoice
        case .waived: .waived
        }
    }
}

extension PBLicenseRecord {
    /// Whether the licence lets its office send on `day`: active, the day within its period, or past the
    /// period's end when it renews automatically (not cancelled) and the renewal is not yet recorded.
    func isValid(on day: CivilDay) -> Bool {
        guard status == .active, let start = CivilDay(yyyymmdd: periodStart.yyyymmdd),
              let end = CivilDay(yyyymmdd: periodEnd.yyyymmdd) else { return false }
        return day >= start && (day < end || !cancelled)
    }
}

extension Platform {
    /// Activates an office's licence for one year from `start` (today by default), at the configured fee
    /// (operators only). The office must be registered, and hold no active or suspended licence.
    @discardableResult
    public func activateLicense(for office: OfficeNumber, startingOn start: CivilDay? = nil, settlement: LicenseSettlement = .benefitOffset,
                                by actor: Actor, request: RequestID = .random()) async throws(DomainError) -> SequenceNumber {
        try Self.requireOperator(actor)
        let start = start ?? today
        let fee = configuration.licenseFeeYen
        return try await decideAndCommit(by: actor, request: request) { decision, reader in
            try await Self.requireApproved(office, reader)
            if let existing = try await reader.license(office.rawValue), [.active, .suspended].contains(existing.status) {
                throw DomainError(.licenseState, "\(office) already holds a licence (\(existing.status))")
            }
            var event = PBLicenseActivated()
            event.officeNumber = office.rawValue
            event.periodStart = .day(start)
            event.periodEnd = .day(start.nextYear)
            event.feeYen = fee
            event.settlement = settlement.proto
            decision.events.append(.licenseActivated(event))
        }
    }

    /// Cancels the automatic renewal: the licence runs to the end of its period, then expires (an operator,
    /// or the office itself).
    @discardableResult
    public func cancelLicense(for office: OfficeNumber, reason: String, by actor: Actor, request: RequestID = .random()) async throws(DomainError) -> SequenceNumber {
        try Self.requireOperatorOrOffice(actor, office.rawValue)
        try TextRule.check(reason, "reason", maximum: 500, optional: true)
        return try await changeLicense(office, by: actor, request: request) { record in
            guard [.active, .suspended].contains(record.status), !record.cancelled else {
                throw DomainError(.licenseState, "\(office)'s licence is \(record.status)\(record.cancelled ? ", already cancelled" : "")")
            }
            var event = PBLicenseCancelled()
            event.officeNumber = office.rawValue
            event.reason = reason
            return .licenseCancelled(event)
        }
    }

    /// Suspends an active licence (operators only): the office cannot send, but still downloads.
    @discardableResult
    public func suspendLicense(for office: OfficeNumber, reason: String, by actor: Actor, request: RequestID = .random()) async throws(DomainError) -> SequenceNumber {
        try Self.requireOperator(actor)
        try TextRule.check(reason, "reason", maximum: 500)
        return try await changeLicense(office, by: actor, request: request) { record in
            guard record.status == .active else { throw DomainError(.licenseState, "\(office)'s licence is \(record.status), not active") }
            var event = PBLicenseSuspended()
            event.officeNumber = office.rawValue
            event.reason = reason
            return .licenseSuspended(event)
        }
    }

    /// Reinstates a suspended licence (operators only).
    @discardableResult
    public func reinstateLicense(for office: OfficeNumber, by actor: Actor, request: RequestID = .random()) async throws(DomainError) -> SequenceNumber {
        try Self.requireOperator(actor)
        return try await changeLicense(office, by: actor, request: request) { record in
            guard record.status == .suspended else { throw DomainError(.licenseState, "\(office)'s licence is \(record.status), not suspended") }
            var event = PBLicenseReinstated()
            event.officeNumber = office.rawValue
            return .licenseReinstated(event)
        }
    }

    private func changeLicense(_ office: OfficeNumber, by actor: Actor, request: RequestID,
                               _ make: @escaping @Sendable (PBLicenseRecord) throws -> DomainEvent) async throws(DomainError) -> SequenceNumber {
        try await decideAndCommit(by: actor, request: request) { decision, reader in
            guard let record = try await reader.license(office.rawValue) else { throw DomainError(.licenseState, "\(office) has no licence") }
            decision.events.append(try make(record))
        }
    }

    /// Renews or expires every licence whose period ended by `day` (today by default): a cancelled or
    /// suspended licence expires at its period's end, any other renews for a year at the configured fee (a
    /// waived year renews as an offset against benefit payments). Run daily by the platform; returns the
    /// events recorded.
    @discardableResult
    public func advanceLicenses(to day: CivilDay? = nil, by actor: Actor = .system, request: RequestID = .random()) async throws(DomainError) -> [DomainEvent] {
        try Self.requireOperator(actor)
        let day = day ?? today
        let fee = configuration.licenseFeeYen
        return try await sweep(ProjectionSpaces.licenses, pageSize: 256, by: actor, request: request) { entry, decision, reader in
            let scanned = try PBLicenseRecord(serializedBytes: entry.value)
            guard [.active, .suspended].contains(scanned.status), let end = CivilDay(yyyymmdd: scanned.periodEnd.yyyymmdd), end <= day,
                  var record = try await reader.license(scanned.officeNumber) else { return [] }
            var events: [DomainEvent] = []
            while record.status != .expired, let end = CivilDay(yyyymmdd: record.periodEnd.yyyymmdd), end <= day {
                if record.cancelled || record.status == .suspended {
                    var event = PBLicenseExpired()
                    event.officeNumber = record.officeNumber
                    event.on = .day(end)
                    events.append(.licenseExpired(event))
                    record.status = .expired
                } else {
                    var event = PBLicenseRenewed()
                    event.officeNumber = record.officeNumber
                    event.periodStart = .day(end)
                    event.periodEnd = .day(end.nextYear)
                    event.feeYen = fee
                    event.settlement = record.settlement == .waived ? .benefitOffset : record.settlement
                    events.append(.licenseRenewed(event))
                    (record.periodStart, record.periodEnd, record.settlement) = (event.periodStart, event.periodEnd, event.settlement)
                }
            }
            decision.events += events
            return events
        }
    }
}

extension PBDay {
    static func day(_ day: CivilDay) -> PBDay {
        var value = PBDay()
        value.yyyymmdd = day.yyyymmdd
        return value
    }
}
