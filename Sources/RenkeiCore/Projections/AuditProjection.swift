import RenkeiCrypto
import RenkeiStore

/// Every event by time, and by each office it concerns (the actor's and those its body names); refused
/// attempts by authenticated offices included.
struct AuditProjection: Projection {
    let name = "audit"
    let keySpaces = [ProjectionSpaces.audit]

    func reads(for event: DomainEvent) -> [StateKey] { [] }

    func apply(_ event: DomainEvent?, envelope: EventEnvelope, to state: inout some ProjectionState) throws {
        var entry = PBAuditEntry()
        entry.kind = UInt32(envelope.kind.rawValue)
        entry.micros = envelope.timestamp.rawValue
        let bytes = try entry.recordBytes()
        let sequence = envelope.sequence.rawValue
        state.put(Keys.auditByTime(entry.micros, sequence), bytes)
        var offices = event?.offices ?? []
        if case .office(let number) = envelope.actor { offices.append(number.rawValue) }
        offices.sort()
        for (index, office) in offices.enumerated() where index == 0 || offices[index - 1] != office {
            state.put(Keys.auditByOffice(office, sequence), bytes)
        }
    }
}

/// Licence charges by office and fiscal year (April–March, by the period's start): the statement an
/// operator hands to the benefit-payment side.
struct BillingProjection: Projection {
    let name = "billing"
    let keySpaces = [ProjectionSpaces.billing]

    func reads(for event: DomainEvent) -> [StateKey] { [] }

    func apply(_ event: DomainEvent?, envelope: EventEnvelope, to state: inout some ProjectionState) throws {
        var entry = PBBillingEntry()
        let office: String
        switch event {
        case .licenseActivated(let m):
            (office, entry.feeYen, entry.settlement, entry.periodStart, entry.periodEnd) = (m.officeNumber, m.feeYen, m.settlement, m.periodStart, m.periodEnd)
        case .licenseRenewed(let m):
            (office, entry.feeYen, entry.settlement, entry.periodStart, entry.periodEnd) = (m.officeNumber, m.feeYen, m.settlement, m.periodStart, m.periodEnd)
        default:
            return
        }
        entry.kind = UInt32(envelope.kind.rawValue)
        let fiscalYear = CivilDay(yyyymmdd: entry.periodStart.yyyymmdd)?.fiscalYear ?? 0
        try state.put(Keys.billing(office, fiscalYear, envelope.sequence.rawValue), record: entry)
    }
}

/// The platform's settings: retention policy, trusted issuers, installed dictionaries, latest checkpoint.
struct PlatformSettingsProjection: Projection {
    let name = "platform"
    let keySpaces = [ProjectionSpaces.platform]

    func reads(for event: DomainEvent) -> [StateKey] { [] }

    func apply(_ event: DomainEvent?, envelope: EventEnvelope, to state: inout some ProjectionState) throws {
        switch event {
        case .retentionPolicySet(let m): try state.put(Keys.retention, record: m)
        case .trustedIssuerAdded(let m): try state.put(Keys.trustedIssuer(SHA256.hash(Array(m.certificateDer)).bytes), record: m)
        case .trustedIssuerRemoved(let m): state.delete(Keys.trustedIssuer(Array(m.fingerprint)))
        case .dictionaryInstalled(let m): try state.put(Keys.dictionary(m.fileKind), record: m)
        case .checkpointSigned(let m): try state.put(Keys.latestCheckpoint, record: m)
        default: break
        }
    }
}
