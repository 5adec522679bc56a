import Foundation
import RenkeiAPI
import RenkeiCore
import RenkeiModel
import RenkeiStore

/// The events of the log that an office's subscription reports, as wire messages: units it received or
/// sent, downloads of units it sent, withdrawals and purges of its units. Every other event is none of
/// its business.
enum MailboxEvents {
    /// The kinds that can concern a mailbox (a cheap test on the envelope before decoding a body).
    static let kinds: Set<EventKind> = [.sendUnitUploaded, .sendUnitDownloaded, .sendUnitWithdrawn, .payloadPurged]

    /// The message for `event` as `office` sees it, or nil when it does not concern the office.
    static func message(for event: Event, office: String) throws -> Renkei_V1_SubscribeResponse? {
        guard kinds.contains(event.envelope.kind), let decoded = try DomainEvent(kind: event.envelope.kind, body: event.body) else { return nil }
        var message = Renkei_V1_SubscribeResponse()
        message.cursor = event.sequence.rawValue
        message.micros = event.envelope.timestamp.rawValue
        let by = event.envelope.actor.description
        switch decoded {
        case .sendUnitUploaded(let upload):
            if upload.recipient == office {
                message.received = summary(of: upload, sequence: event.sequence, at: event.envelope.timestamp)
            } else if upload.sender == office {
                message.sent = summary(of: upload, sequence: event.sequence, at: event.envelope.timestamp)
            } else {
                return nil
            }
        case .sendUnitDownloaded(let download):
            guard download.sender == office || download.recipient == office else { return nil }
            message.downloaded = unitEvent(download.unit, by: by, files: download.files)
        case .sendUnitWithdrawn(let withdrawal):
            guard withdrawal.sender == office || withdrawal.recipient == office else { return nil }
            message.withdrawn = unitEvent(withdrawal.unit, by: by, reason: withdrawal.reason)
        case .payloadPurged(let purge):
            guard purge.sender == office || purge.recipient == office else { return nil }
            message.purged = unitEvent(purge.unit, by: by, reason: purge.reason)
        default:
            return nil
        }
        return message
    }

    /// A mailbox line for an upload, as it was when it arrived (未読).
    static func summary(of upload: PBSendUnitUploaded, sequence: SequenceNumber, at time: Timestamp) -> Renkei_V1_UnitSummary {
        var summary = Renkei_V1_UnitSummary()
        summary.unitID = sequence.rawValue
        summary.sender = upload.sender
        summary.recipient = upload.recipient
        summary.unitType = Renkei_V1_UnitType(rawValue: upload.unitType.rawValue) ?? .unspecified
        summary.serviceMonth = upload.serviceMonth
        summary.unitNumber = upload.unitNumber
        summary.status = .unread
        summary.fileCount = UInt32(upload.files.count)
        summary.byteCount = upload.files.reduce(0) { $0 + $1.size }
        summary.uploadedMicros = time.rawValue
        return summary
    }

    private static func unitEvent(_ unit: UInt64, by: String, files: [String] = [], reason: String = "") -> Renkei_V1_UnitEvent {
        var event = Renkei_V1_UnitEvent()
        event.unitID = unit
        event.by = by
        event.files = files
        event.reason = reason
        return event
    }
}

/// Where one subscription stands: every event up to `position` has been examined, and those that
/// concern the office were sent. It starts catching up (from the office's audit index, which lists just
/// its events) and goes live (from the log's tail) once a catch-up page comes back short; the cursor a
/// client resumes from is the last message's `cursor`, so a reconnect sends nothing twice and misses
/// nothing. Pure: the handler feeds it what it reads.
struct SubscriptionState {
    enum Phase: Equatable { case catchingUp, live }

    let office: String
    private(set) var position: SequenceNumber
    private(set) var phase = Phase.catchingUp

    init(office: String, after cursor: UInt64) {
        self.office = office
        position = SequenceNumber(cursor)
    }

    /// Takes the next examined event (in log order, after `position`); the message to send, if any.
    mutating func take(_ event: Event) throws -> Renkei_V1_SubscribeResponse? {
        guard event.sequence > position else { return nil }
        position = event.sequence
        return try MailboxEvents.message(for: event, office: office)
    }

    /// A catch-up page was the last: everything up to `latest` (the log's end in the page's snapshot)
    /// concerning the office was in it. Live reading continues after `latest`.
    mutating func caughtUp(through latest: SequenceNumber) {
        position = max(position, latest)
        phase = .live
    }

    /// Live reading examined every event up to `latest`.
    mutating func examined(through latest: SequenceNumber) {
        position = max(position, latest)
    }

    /// A heartbeat: nothing new up to `position`.
    func heartbeat(micros: Int64) -> Renkei_V1_SubscribeResponse {
        var message = Renkei_V1_SubscribeResponse()
        message.cursor = position.rawValue
        message.micros = micros
        var beat = Renkei_V1_Heartbeat()
        beat.latestSequence = position.rawValue
        message.heartbeat = beat
        return message
    }
}
