import RenkeiStore

/// Offices (registration and details), the directory's indexes, licences and certificates.
struct OfficesProjection: Projection {
    let name = "offices"
    let keySpaces = [ProjectionSpaces.offices, ProjectionSpaces.directory, ProjectionSpaces.licenses, ProjectionSpaces.certificates]

    func reads(for event: DomainEvent) -> [StateKey] {
        switch event {
        case .registrationApproved(let m): [Keys.office(m.officeNumber)]
        case .registrationRejected(let m): [Keys.office(m.officeNumber)]
        case .officeDetailsChanged(let m): [Keys.office(m.officeNumber)]
        case .officeDeregistered(let m): [Keys.office(m.officeNumber)]
        case .licenseCancelled(let m): [Keys.license(m.officeNumber)]
        case .licenseExpired(let m): [Keys.license(m.officeNumber)]
        case .licenseSuspended(let m): [Keys.license(m.officeNumber)]
        case .licenseReinstated(let m): [Keys.license(m.officeNumber)]
        case .certificateRevoked(let m): [Keys.certificate(m.serial)]
        default: []
        }
    }

    func apply(_ event: DomainEvent?, envelope: EventEnvelope, to state: inout some ProjectionState) throws {
        let sequence = envelope.sequence.rawValue, micros = envelope.timestamp.rawValue
        switch event {
        case .registrationRequested(let m):
            var record = PBOfficeRecord()
            record.officeNumber = m.officeNumber
            record.name = m.name
            record.serviceKinds = m.serviceKinds
            record.prefecture = m.prefecture
            record.contact = m.contact
            record.billingLoginID = m.billingLoginID
            record.status = .pending
            record.requestedSequence = sequence
            record.requestedMicros = micros
            try state.put(Keys.office(m.officeNumber), record: record)
        case .registrationApproved(let m):
            try updateOffice(m.officeNumber, in: &state) { record in
                record.status = .approved
                record.decidedMicros = micros
            }
        case .registrationRejected(let m):
            try updateOffice(m.officeNumber, in: &state) { record in
                record.status = .rejected
                record.statusReason = m.reason
                record.decidedMicros = micros
            }
        case .officeDetailsChanged(let m):
            try updateOffice(m.officeNumber, in: &state) { record in
                record.name = m.name
                record.serviceKinds = m.serviceKinds
                record.prefecture = m.prefecture
                record.contact = m.contact
            }
        case .officeDeregistered(let m):
            try updateOffice(m.officeNumber, in: &state) { record in
                record.status = .deregistered
                record.statusReason = m.reason
                record.decidedMicros = micros
            }
        case .licenseActivated(let m):
            try startPeriod(m.officeNumber, m.periodStart, m.periodEnd, m.settlement, sequence, in: &state)
        case .licenseRenewed(let m):
            try startPeriod(m.officeNumber, m.periodStart, m.periodEnd, m.settlement, sequence, in: &state)
        case .licenseCancelled(let m):
            try updateLicense(m.officeNumber, sequence, in: &state) { record in
                record.cancelled = true
                record.reason = m.reason
            }
        case .licenseExpired(let m):
            try updateLicense(m.officeNumber, sequence, in: &state) { record in record.status = .expired }
        case .licenseSuspended(let m):
            try updateLicense(m.officeNumber, sequence, in: &state) { record in
                record.status = .suspended
                record.reason = m.reason
            }
        case .licenseReinstated(let m):
            try updateLicense(m.officeNumber, sequence, in: &state) { record in
                record.status = .active
                record.reason = ""
            }
        case .certificateIssued(let m):
            var record = PBCertificateRecord()
            record.issued = m
            record.issuedSequence = sequence
            try state.put(Keys.certificate(m.serial), record: record)
            if !m.officeNumber.isEmpty { state.put(Keys.certificateOfOffice(m.officeNumber, m.serial), []) }
            state.put(Keys.certificateExpiry(m.notAfterMicros, m.serial), [])
        case .certificateRevoked(let m):
            guard var record = try state.record(PBCertificateRecord.self, at: Keys.certificate(m.serial)) else { return }
            record.revoked = true
            record.revocationReason = m.reason
            record.revokedSequence = sequence
            try state.put(Keys.certificate(m.serial), record: record)
            state.delete(Keys.certificateExpiry(record.issued.notAfterMicros, m.serial))
        default:
            break
        }
    }

    /// Changes an office's record, keeping the directory's indexes to what the record says: an approved
    /// office is listed under its name and under each (prefecture, service kind).
    private func updateOffice(_ number: String, in state: inout some ProjectionState, _ change: (inout PBOfficeRecord) -> Void) throws {
        guard var record = try state.record(PBOfficeRecord.self, at: Keys.office(number)) else { return }
        let before = Self.directoryKeys(of: record)
        change(&record)
        let after = Self.directoryKeys(of: record)
        for key in before where !after.contains(key) { state.delete(key) }
        for key in after where !before.contains(key) { state.put(key, []) }
        try state.put(Keys.office(number), record: record)
    }

    static func directoryKeys(of record: PBOfficeRecord) -> [StateKey] {
        guard record.status == .approved else { return [] }
        var keys = [Keys.directoryName(record.name, record.officeNumber)]
        for kind in Set(record.serviceKinds).sorted() { keys.append(Keys.directoryArea(record.prefecture, kind, record.officeNumber)) }
        return keys
    }

    /// A licence period begins (activation or renewal): active, not cancelled, with its settlement.
    private func startPeriod(_ office: String, _ start: PBDay, _ end: PBDay, _ settlement: PBSettlement, _ sequence: UInt64,
                             in state: inout some ProjectionState) throws {
        var record = PBLicenseRecord()
        record.officeNumber = office
        record.status = .active
        record.periodStart = start
        record.periodEnd = end
        record.settlement = settlement
        record.lastSequence = sequence
        try state.put(Keys.license(office), record: record)
    }

    private func updateLicense(_ number: String, _ sequence: UInt64, in state: inout some ProjectionState, _ change: (inout PBLicenseRecord) -> Void) throws {
        guard var record = try state.record(PBLicenseRecord.self, at: Keys.license(number)) else { return }
        change(&record)
        record.lastSequence = sequence
        try state.put(Keys.license(number), record: record)
    }
}
