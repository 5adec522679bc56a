import Foundation
import RenkeiStore

/// Send units and each office's inbox and sent list.
struct ExchangeProjection: Projection {
    let name = "exchange"
    let keySpaces = [ProjectionSpaces.units, ProjectionSpaces.mailboxes]

    /// The send unit `event` concerns (the sequence of its upload), or nil for an event this projection
    /// does not fold: each event it folds reads and writes only that unit's keys.
    static func unit(of event: DomainEvent?, envelope: EventEnvelope) -> UInt64? {
        switch event {
        case .sendUnitUploaded: envelope.sequence.rawValue
        case .sendUnitDownloaded(let m): m.unit
        case .sendUnitWithdrawn(let m): m.unit
        case .payloadPurged(let m): m.unit
        default: nil
        }
    }

    func reads(for event: DomainEvent) -> [StateKey] {
        switch event {
        case .sendUnitDownloaded(let m): [Keys.unit(m.unit)]
        case .sendUnitWithdrawn(let m): [Keys.unit(m.unit)]
        case .payloadPurged(let m): [Keys.unit(m.unit)]
        default: []
        }
    }

    func apply(_ event: DomainEvent?, envelope: EventEnvelope, to state: inout some ProjectionState) throws {
        let sequence = envelope.sequence.rawValue, micros = envelope.timestamp.rawValue
        switch event {
        case .sendUnitUploaded(let m):
            // The unit keeps its state, the signature's result and the signer; its files, which never change,
            // are read from the upload event itself (`upload(in:)`), so a status change rewrites only the small
            // state and the projection holds no second copy of the log.
            // (`unit.upload.x = …` would copy the whole upload in and out once for each field.)
            var upload = PBSendUnitUploaded()
            upload.sender = m.sender
            upload.recipient = m.recipient
            upload.unitType = m.unitType
            upload.serviceMonth = m.serviceMonth
            upload.unitNumber = m.unitNumber
            upload.definitionID = m.definitionID
            upload.signerSerial = m.signerSerial
            var unit = PBUnitRecord()
            unit.sequence = sequence
            unit.uploadedMicros = micros
            unit.upload = upload
            unit.fileCount = UInt32(m.files.count)
            unit.byteCount = m.files.reduce(0) { $0 + $1.size }
            unit.status = .unread
            unit.signatureVerified = true
            unit.history = [Self.change(.unread, sequence, micros, m.sender)]
            try state.put(Keys.unit(sequence), record: unit)
            try putMailboxEntries(of: unit, in: &state)
        case .sendUnitDownloaded(let m):
            try updateUnit(m.unit, in: &state) { unit in
                if unit.firstDownloadMicros == 0 { unit.firstDownloadMicros = micros }
                unit.status = .downloaded
                unit.history.append(Self.change(.downloaded, sequence, micros, m.recipient))
            }
        case .sendUnitWithdrawn(let m):
            try updateUnit(m.unit, in: &state) { unit in
                unit.status = .withdrawn
                unit.history.append(Self.change(.withdrawn, sequence, micros, m.sender))
            }
        case .payloadPurged(let m):
            try updateUnit(m.unit, in: &state) { unit in
                unit.status = .purged
                unit.purged = true
                unit.history.append(Self.change(.purged, sequence, micros, "system"))
            }
        default:
            break
        }
    }

    private func updateUnit(_ sequence: UInt64, in state: inout some ProjectionState, _ change: (inout PBUnitRecord) -> Void) throws {
        guard var unit = try state.record(PBUnitRecord.self, at: Keys.unit(sequence)) else { return }
        change(&unit)
        try state.put(Keys.unit(sequence), record: unit)
        try putMailboxEntries(of: unit, in: &state)
    }

    /// The unit's line in the recipient's inbox and in the sender's sent list.
    private func putMailboxEntries(of unit: PBUnitRecord, in state: inout some ProjectionState) throws {
        let upload = unit.upload  // (a copy: read once, not once for each field)
        var entry = PBMailboxEntry()
        entry.unit = unit.sequence
        entry.unitType = upload.unitType
        entry.serviceMonth = upload.serviceMonth
        entry.unitNumber = upload.unitNumber
        entry.status = unit.status
        entry.fileCount = unit.fileCount
        entry.byteCount = unit.byteCount
        entry.uploadedMicros = unit.uploadedMicros
        entry.partner = upload.sender
        try state.put(Keys.mailbox(upload.recipient, .inbox, unit.sequence), record: entry)
        entry.partner = upload.recipient
        try state.put(Keys.mailbox(upload.sender, .sent, unit.sequence), record: entry)
    }

    /// The upload `event` records, without its signature (which the recipient and auditors verify in the
    /// log), or nil when `event` is not an upload.
    static func upload(in event: Event) throws -> PBSendUnitUploaded? {
        guard case .sendUnitUploaded(var upload)? = try DomainEvent(kind: event.envelope.kind, body: event.body) else { return nil }
        upload.signatureDer = Data()
        return upload
    }

    static func change(_ status: PBUnitStatus, _ sequence: UInt64, _ micros: Int64, _ by: String) -> PBStatusChange {
        var change = PBStatusChange()
        change.status = status
        change.sequence = sequence
        change.micros = micros
        change.by = by
        return change
    }
}

/// Units and files sent and received, by office and month and by month and prefecture (each office's
/// prefecture when the unit arrived, as the upload event records it), and the senders' idempotency keys.
struct UsageProjection: Projection {
    let name = "usage"
    let keySpaces = [ProjectionSpaces.usage, ProjectionSpaces.idempotency]

    func reads(for event: DomainEvent) -> [StateKey] { [] }

    func apply(_ event: DomainEvent?, envelope: EventEnvelope, to state: inout some ProjectionState) throws {
        guard case .sendUnitUploaded(let m) = event else { return }
        let sequence = envelope.sequence.rawValue
        var usage = PBUsageEntry()
        usage.unitType = m.unitType
        usage.fileCount = UInt32(m.files.count)
        usage.byteCount = m.files.reduce(0) { $0 + $1.size }
        let month = m.serviceMonth.isEmpty ? "000000" : m.serviceMonth
        func line(_ office: String, _ partner: String, _ prefecture: UInt32, _ box: Keys.Box) throws {
            usage.partner = partner
            usage.sent = box == .sent
            usage.prefecture = prefecture
            let bytes = try usage.recordBytes()
            state.put(Keys.usageByOffice(office, month, box, sequence), bytes)
            state.put(Keys.usageByMonth(month, prefecture, office, box, sequence), bytes)
        }
        try line(m.sender, m.recipient, m.senderPrefecture, .sent)
        try line(m.recipient, m.sender, m.recipientPrefecture, .inbox)
        if !m.idempotencyKey.isEmpty {
            var record = PBIdempotencyRecord()
            record.unit = sequence
            record.manifestSha256 = m.manifestSha256
            try state.put(Keys.idempotency(m.sender, m.idempotencyKey), record: record)
        }
    }
}
