import Foundation
import RenkeiAPI
import RenkeiCore
import RenkeiModel

/// The projections' records as the public API shows them. The log's schema (renkei.log.v1) is the
/// platform's own and may grow differently from renkei.v1, so nothing of it crosses the wire unmapped.
enum WireRecords {
    static func office(_ record: PBOfficeRecord, license: PBLicenseRecord?) -> Renkei_V1_Office {
        var office = Renkei_V1_Office()
        office.officeNumber = record.officeNumber
        office.name = record.name
        office.serviceKinds = record.serviceKinds
        office.prefecture = record.prefecture
        office.registration = switch record.status {
        case .pending: .requested
        case .approved: .approved
        case .rejected: .rejected
        case .deregistered: .deregistered
        default: .unspecified
        }
        if let license {
            let status: Renkei_V1_LicenseStatus = switch license.status {
            case .active: .active
            case .suspended: .suspended
            case .expired: .expired
            default: .none
            }
            office.license = license.cancelled ? .cancelled : status
        }
        return office
    }

    static func day(_ day: PBDay) -> String {
        let value = day.yyyymmdd
        guard value > 0 else { return "" }
        return String(format: "%04d-%02d-%02d", value / 10_000, value / 100 % 100, value % 100)
    }

    static func certificate(_ record: PBCertificateRecord) -> Renkei_V1_CertificateInfo {
        var info = Renkei_V1_CertificateInfo()
        info.serial = record.issued.serial
        info.sha256Fingerprint = record.issued.fingerprint
        info.notBeforeMicros = record.issued.notBeforeMicros
        info.notAfterMicros = record.issued.notAfterMicros
        info.role = record.issued.role
        info.revoked = record.revoked
        info.revocationReason = record.revocationReason
        return info
    }

    static func status(_ status: PBUnitStatus) -> Renkei_V1_UnitStatus {
        Renkei_V1_UnitStatus(rawValue: status.rawValue) ?? .unspecified
    }

    static func unitType(_ type: PBUnitType) -> Renkei_V1_UnitType {
        Renkei_V1_UnitType(rawValue: type.rawValue) ?? .unspecified
    }

    static func summary(_ entry: PBMailboxEntry, office: String, kind: MailboxKind) -> Renkei_V1_UnitSummary {
        var summary = Renkei_V1_UnitSummary()
        summary.unitID = entry.unit
        summary.sender = kind == .inbox ? entry.partner : office
        summary.recipient = kind == .inbox ? office : entry.partner
        summary.unitType = unitType(entry.unitType)
        summary.serviceMonth = entry.serviceMonth
        summary.unitNumber = entry.unitNumber
        summary.status = status(entry.status)
        summary.fileCount = entry.fileCount
        summary.byteCount = entry.byteCount
        summary.uploadedMicros = entry.uploadedMicros
        return summary
    }

    static func file(_ entry: PBFileEntry) -> Renkei_V1_FileInfo {
        var file = Renkei_V1_FileInfo()
        file.kind = entry.kind
        file.name = entry.name
        file.size = entry.size
        file.sha256 = entry.sha256
        return file
    }

    static func detail(_ record: PBUnitRecord) -> Renkei_V1_UnitDetail {
        let upload = record.upload
        var detail = Renkei_V1_UnitDetail()
        var summary = Renkei_V1_UnitSummary()
        summary.unitID = record.sequence
        summary.sender = upload.sender
        summary.recipient = upload.recipient
        summary.unitType = unitType(upload.unitType)
        summary.serviceMonth = upload.serviceMonth
        summary.unitNumber = upload.unitNumber
        summary.status = status(record.status)
        summary.fileCount = UInt32(upload.files.count)
        summary.byteCount = upload.files.reduce(0) { $0 + $1.size }
        summary.uploadedMicros = record.uploadedMicros
        detail.summary = summary
        detail.files = upload.files.map(file)
        detail.signatureVerified = record.signatureVerified
        detail.signerSerial = upload.signerSerial
        detail.signature = upload.signatureDer
        detail.history = record.history.map { change in
            var wire = Renkei_V1_StatusChange()
            wire.status = status(change.status)
            wire.sequence = change.sequence
            wire.micros = change.micros
            wire.by = change.by
            return wire
        }
        detail.firstDownloadMicros = record.firstDownloadMicros
        detail.definitionID = upload.definitionID
        return detail
    }
}
