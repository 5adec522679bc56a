import Foundation
import GRPCCore
import RenkeiAPI
import RenkeiCore
import RenkeiCrypto
import RenkeiModel
import RenkeiStore

/// OperatorService: the operator's commands and reports. Every RPC requires an operator certificate.
struct OperatorServiceHandler: Renkei_V1_OperatorService.SimpleServiceProtocol {
    let platform: Platform
    let authenticator: ClientAuthenticator
    let settings: ServerSettings

    private func operatorActor(_ context: ServerContext) async throws -> Actor {
        let caller = try await authenticator.caller(of: context)
        guard caller.identity.role == .operator else {
            throw ServerErrors.detail(.notAuthorized, "OperatorService needs an operator certificate; this is \(caller.identity)")
        }
        return caller.actor
    }

    private func officeNumber(_ text: String) throws -> OfficeNumber {
        guard let number = OfficeNumber(rawValue: text) else {
            throw ServerErrors.detail(.invalidArgument, "事業所番号: 10 digits, not \"\(text.prefix(20))\"")
        }
        return number
    }

    private func sequence(_ body: () async throws(DomainError) -> SequenceNumber) async throws -> Renkei_V1_SequenceResponse {
        var response = Renkei_V1_SequenceResponse()
        do { response.sequence = try await body().rawValue } catch { throw ServerErrors.rpcError(error) }
        return response
    }

    func listRegistrations(request: Renkei_V1_ListRegistrationsRequest, context: ServerContext) async throws -> Renkei_V1_ListRegistrationsResponse {
        _ = try await operatorActor(context)
        let status: PBRegistrationStatus? = switch request.status {
        case .requested: .pending
        case .approved: .approved
        case .rejected: .rejected
        case .deregistered: .deregistered
        default: nil
        }
        let limit = request.limit == 0 ? 100 : min(Int(request.limit), settings.limits.maximumPageSize)
        return try await ServerErrors.mapping {
            try await platform.query { queries in
                var response = Renkei_V1_ListRegistrationsResponse()
                for record in try await queries.offices(status: status, limit: limit) {
                    var registration = Renkei_V1_Registration()
                    registration.office = WireRecords.office(record, license: try await queries.license(record.officeNumber))
                    registration.contactPerson = record.contact.person
                    registration.contactPhone = record.contact.phone
                    registration.contactEmail = record.contact.email
                    registration.billingLoginID = record.billingLoginID
                    registration.requestedMicros = record.requestedMicros
                    registration.statusReason = record.statusReason
                    response.registrations.append(registration)
                }
                return response
            }
        }
    }

    func approveRegistration(request: Renkei_V1_OfficeRequest, context: ServerContext) async throws -> Renkei_V1_SequenceResponse {
        let actor = try await operatorActor(context)
        let office = try officeNumber(request.officeNumber)
        return try await sequence { () async throws(DomainError) in try await platform.approveRegistration(of: office, by: actor) }
    }

    func rejectRegistration(request: Renkei_V1_ReasonRequest, context: ServerContext) async throws -> Renkei_V1_SequenceResponse {
        let actor = try await operatorActor(context)
        let office = try officeNumber(request.officeNumber)
        return try await sequence { () async throws(DomainError) in try await platform.rejectRegistration(of: office, reason: request.reason, by: actor) }
    }

    func activateLicense(request: Renkei_V1_ActivateLicenseRequest, context: ServerContext) async throws -> Renkei_V1_SequenceResponse {
        let actor = try await operatorActor(context)
        let office = try officeNumber(request.officeNumber)
        var start: CivilDay?
        if !request.startDay.isEmpty {
            let parts = request.startDay.split(separator: "-").compactMap { Int($0) }
            guard request.startDay.utf8.count == 10, parts.count == 3, let day = CivilDay(year: parts[0], month: parts[1], day: parts[2]) else {
                throw ServerErrors.detail(.invalidArgument, "start day: yyyy-mm-dd, not \"\(request.startDay.prefix(20))\"")
            }
            start = day
        }
        let settlement: LicenseSettlement = switch request.settlement {
        case .invoice: .invoice
        case .waived: .waived
        default: .benefitOffset
        }
        return try await sequence { () async throws(DomainError) in
            try await platform.activateLicense(for: office, startingOn: start, settlement: settlement, by: actor)
        }
    }

    func advanceLicenses(request: Renkei_V1_AdvanceLicensesRequest, context: ServerContext) async throws -> Renkei_V1_AdvanceLicensesResponse {
        let actor = try await operatorActor(context)
        let events = try await ServerErrors.mapping { try await platform.advanceLicenses(by: actor) }
        var response = Renkei_V1_AdvanceLicensesResponse()
        for event in events {
            switch event {
            case .licenseRenewed: response.renewed += 1
            case .licenseExpired: response.expired += 1
            default: break
            }
        }
        return response
    }

    func cancelLicense(request: Renkei_V1_ReasonRequest, context: ServerContext) async throws -> Renkei_V1_SequenceResponse {
        let actor = try await operatorActor(context)
        let office = try officeNumber(request.officeNumber)
        return try await sequence { () async throws(DomainError) in try await platform.cancelLicense(for: office, reason: request.reason, by: actor) }
    }

    func suspendLicense(request: Renkei_V1_ReasonRequest, context: ServerContext) async throws -> Renkei_V1_SequenceResponse {
        let actor = try await operatorActor(context)
        let office = try officeNumber(request.officeNumber)
        return try await sequence { () async throws(DomainError) in try await platform.suspendLicense(for: office, reason: request.reason, by: actor) }
    }

    func reinstateLicense(request: Renkei_V1_OfficeRequest, context: ServerContext) async throws -> Renkei_V1_SequenceResponse {
        let actor = try await operatorActor(context)
        let office = try officeNumber(request.officeNumber)
        return try await sequence { () async throws(DomainError) in try await platform.reinstateLicense(for: office, by: actor) }
    }

    func getOffsetStatement(request: Renkei_V1_OffsetStatementRequest, context: ServerContext) async throws -> Renkei_V1_OffsetStatement {
        _ = try await operatorActor(context)
        let office = try officeNumber(request.officeNumber)
        guard (2000...2200).contains(request.fiscalYear) else { throw ServerErrors.detail(.invalidArgument, "fiscal year: 2000 to 2200") }
        let statement = try await ServerErrors.mapping {
            try await platform.query { try await $0.billingStatement(of: office.rawValue, fiscalYear: Int(request.fiscalYear)) }
        }
        var response = Renkei_V1_OffsetStatement()
        response.officeNumber = office.rawValue
        response.fiscalYear = request.fiscalYear
        for charge in statement.charges {
            var line = Renkei_V1_OffsetLine()
            line.day = WireRecords.day(charge.periodStart)
            line.feeYen = charge.feeYen
            line.settlement = Renkei_V1_Settlement(rawValue: charge.settlement.rawValue) ?? .unspecified
            line.what = EventKind(rawValue: UInt16(clamping: charge.kind)) == .licenseRenewed ? "renewed" : "activated"
            response.lines.append(line)
        }
        response.totalYen = UInt64(statement.offsetYen)
        return response
    }

    func issueCertificate(request: Renkei_V1_IssueCertificateRequest, context: ServerContext) async throws -> Renkei_V1_IssueCertificateResponse {
        let actor = try await operatorActor(context)
        guard let ca = settings.issuingCA else {
            throw ServerErrors.detail(.notAuthorized, "this server holds no CA key; certificates are issued offline")
        }
        guard request.csr.count <= 64 << 10 else { throw ServerErrors.detail(.limitExceeded, "a CSR of at most 64 KiB") }
        guard request.validDays <= 825 else { throw ServerErrors.detail(.invalidArgument, "valid days: at most 825") }
        let now = Date(timeIntervalSince1970: Double(platform.configuration.clock().rawValue) / 1_000_000)
        let certificate: Certificate
        do {
            let bytes = Array(request.csr)
            let csr = bytes.starts(with: Array("-----BEGIN".utf8))
                ? try CertificateSigningRequest(pem: String(decoding: bytes, as: UTF8.self)) : try CertificateSigningRequest(der: bytes)
            let identity = try csr.requestedIdentity()
            let days = request.validDays == 0 ? 825 : Double(request.validDays)
            certificate = try ca.issueCertificate(for: csr, identity: identity, notBefore: now - 300, notAfter: now + days * 86_400)
        } catch {
            throw ServerErrors.detail(.invalidArgument, "the CSR: \(error)")
        }
        var response = Renkei_V1_IssueCertificateResponse()
        response.sequence = try await ServerErrors.mapping { try await platform.recordCertificateIssued(certificate, by: actor).rawValue }
        response.certificatePem = certificate.pem
        response.chainPem = ca.intermediate.pem + ca.root.pem
        response.serial = certificate.serialNumber.hex
        return response
    }

    func revokeCertificate(request: Renkei_V1_RevokeCertificateRequest, context: ServerContext) async throws -> Renkei_V1_SequenceResponse {
        let actor = try await operatorActor(context)
        guard let serial = CertificateSerialNumber(hex: request.serial) else {
            throw ServerErrors.detail(.invalidArgument, "serial: hexadecimal, not \"\(request.serial.prefix(80))\"")
        }
        return try await sequence { () async throws(DomainError) in try await platform.revokeCertificate(serial: serial, reason: request.reason, by: actor) }
    }

    func getStats(request: Renkei_V1_GetStatsRequest, context: ServerContext) async throws -> Renkei_V1_Stats {
        _ = try await operatorActor(context)
        let month: String
        if request.month.isEmpty {
            let today = CivilDay(platform.configuration.clock())
            month = String(today.yyyymmdd / 100)
        } else {
            guard YearMonth(request.month) != nil else { throw ServerErrors.detail(.invalidArgument, "month: yyyymm") }
            month = request.month
        }
        var initial = Renkei_V1_Stats()
        initial.month = month
        initial.latestSequence = try await ServerErrors.mapping { try await platform.latestSequence().rawValue }
        let stats = initial
        return try await ServerErrors.mapping {
            try await platform.query { queries in
                var stats = stats
                for office in try await queries.offices(limit: .max) {
                    if office.status == .approved { stats.officesRegistered += 1 }
                    if office.status == .pending { stats.officesPending += 1 }
                }
                stats.licensesActive = UInt32(try await queries.licenses().filter { $0.status == .active && !$0.cancelled }.count)
                for (prefecture, usage) in try await queries.sentByPrefecture(month: month).sorted(by: { $0.key < $1.key }) {
                    var volume = Renkei_V1_PrefectureVolume()
                    volume.prefecture = UInt32(prefecture)
                    volume.units = UInt64(usage.units)
                    volume.files = UInt64(usage.files)
                    volume.bytes = usage.bytes
                    stats.byPrefecture.append(volume)
                }
                return stats
            }
        }
    }

    func checkpointNow(request: Renkei_V1_CheckpointNowRequest, context: ServerContext) async throws -> Renkei_V1_CheckpointNowResponse {
        let actor = try await operatorActor(context)
        var response = Renkei_V1_CheckpointNowResponse()
        response.checkpoint = try await ServerErrors.mapping { try await platform.signCheckpoint(by: actor) }
        return response
    }
}
