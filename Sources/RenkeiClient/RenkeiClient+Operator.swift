public import RenkeiAPI

/// The operator's calls (an operator certificate is required).
extension RenkeiClient {
    public func listRegistrations(status: Renkei_V1_RegistrationStatus = .unspecified, limit: UInt32 = 0) async throws(RenkeiClientError) -> [Renkei_V1_Registration] {
        var request = Renkei_V1_ListRegistrationsRequest()
        request.status = status
        request.limit = limit
        return try await call { try await operatorService.listRegistrations(request, options: options).registrations }
    }

    @discardableResult
    public func approveRegistration(of office: String) async throws(RenkeiClientError) -> UInt64 {
        var request = Renkei_V1_OfficeRequest()
        request.officeNumber = office
        return try await call { try await operatorService.approveRegistration(request, options: options).sequence }
    }

    @discardableResult
    public func rejectRegistration(of office: String, reason: String) async throws(RenkeiClientError) -> UInt64 {
        try await call { try await operatorService.rejectRegistration(Self.reason(office, reason), options: options).sequence }
    }

    @discardableResult
    public func activateLicense(for office: String, settlement: Renkei_V1_Settlement = .benefitOffset, startDay: String = "") async throws(RenkeiClientError) -> UInt64 {
        var request = Renkei_V1_ActivateLicenseRequest()
        request.officeNumber = office
        request.settlement = settlement
        request.startDay = startDay
        return try await call { try await operatorService.activateLicense(request, options: options).sequence }
    }

    public func advanceLicenses() async throws(RenkeiClientError) -> Renkei_V1_AdvanceLicensesResponse {
        try await call { try await operatorService.advanceLicenses(Renkei_V1_AdvanceLicensesRequest(), options: options) }
    }

    @discardableResult
    public func cancelLicense(for office: String, reason: String) async throws(RenkeiClientError) -> UInt64 {
        try await call { try await operatorService.cancelLicense(Self.reason(office, reason), options: options).sequence }
    }

    @discardableResult
    public func suspendLicense(for office: String, reason: String) async throws(RenkeiClientError) -> UInt64 {
        try await call { try await operatorService.suspendLicense(Self.reason(office, reason), options: options).sequence }
    }

    @discardableResult
    public func reinstateLicense(for office: String) async throws(RenkeiClientError) -> UInt64 {
        var request = Renkei_V1_OfficeRequest()
        request.officeNumber = office
        return try await call { try await operatorService.reinstateLicense(request, options: options).sequence }
    }

    public func offsetStatement(of office: String, fiscalYear: UInt32) async throws(RenkeiClientError) -> Renkei_V1_OffsetStatement {
        var request = Renkei_V1_OffsetStatementRequest()
        request.officeNumber = office
        request.fiscalYear = fiscalYear
        return try await call { try await operatorService.getOffsetStatement(request, options: options) }
    }

    /// Issues a certificate from a CSR (PEM or DER) whose subject names the office and role.
    public func issueCertificate(csr: [UInt8], validDays: UInt32 = 0) async throws(RenkeiClientError) -> Renkei_V1_IssueCertificateResponse {
        var request = Renkei_V1_IssueCertificateRequest()
        request.csr = .init(csr)
        request.validDays = validDays
        return try await call { try await operatorService.issueCertificate(request, options: options) }
    }

    @discardableResult
    public func revokeCertificate(serial: String, reason: String) async throws(RenkeiClientError) -> UInt64 {
        var request = Renkei_V1_RevokeCertificateRequest()
        request.serial = serial
        request.reason = reason
        return try await call { try await operatorService.revokeCertificate(request, options: options).sequence }
    }

    public func stats(month: String = "") async throws(RenkeiClientError) -> Renkei_V1_Stats {
        var request = Renkei_V1_GetStatsRequest()
        request.month = month
        return try await call { try await operatorService.getStats(request, options: options) }
    }

    public func checkpointNow() async throws(RenkeiClientError) -> String {
        try await call { try await operatorService.checkpointNow(Renkei_V1_CheckpointNowRequest(), options: options).checkpoint }
    }

    static func reason(_ office: String, _ reason: String) -> Renkei_V1_ReasonRequest {
        var request = Renkei_V1_ReasonRequest()
        request.officeNumber = office
        request.reason = reason
        return request
    }
}

/// The auditor's calls (an auditor certificate is required).
extension RenkeiClient {
    public func queryAudit(_ request: Renkei_V1_QueryAuditRequest) async throws(RenkeiClientError) -> [Renkei_V1_AuditEvent] {
        try await call { try await audit.queryAudit(request, options: options).events }
    }

    /// The events of `request`'s range with their inclusion proofs, and the signed checkpoint they verify against.
    /// `progress` is called with each event's sequence as it arrives.
    public func export(_ request: Renkei_V1_ExportRequest, progress: (@Sendable (UInt64) -> Void)? = nil) async throws(RenkeiClientError) -> (events: [Renkei_V1_ExportedEvent], checkpoint: String) {
        try await call {
            try await audit.export(request, options: options) { response in
                var events: [Renkei_V1_ExportedEvent] = []
                var checkpoint = ""
                for try await message in response.messages {
                    switch message.item {
                    case .event(let event):
                        events.append(event)
                        progress?(event.sequence)
                    case .checkpoint(let note): checkpoint = note
                    case nil: break
                    }
                }
                return (events, checkpoint)
            }
        }
    }

    public func consistencyProof(from oldSize: UInt64, to newSize: UInt64 = 0) async throws(RenkeiClientError) -> Renkei_V1_ConsistencyProofResponse {
        var request = Renkei_V1_ConsistencyProofRequest()
        request.oldSize = oldSize
        request.newSize = newSize
        return try await call { try await audit.getConsistencyProof(request, options: options) }
    }
}
