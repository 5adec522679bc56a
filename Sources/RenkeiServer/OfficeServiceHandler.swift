import CarePlanStandard
import Foundation
import GRPCCore
import RenkeiAPI
import RenkeiCore
import RenkeiCrypto
import RenkeiModel
import RenkeiStore

/// OfficeService: each RPC names its caller from the client certificate, turns the request into one
/// RenkeiCore command or query, and the result into the response.
struct OfficeServiceHandler: Renkei_V1_OfficeService.SimpleServiceProtocol {
    let platform: Platform
    let authenticator: ClientAuthenticator
    let settings: ServerSettings
    let connections: ConnectionLimiter
    let shutdown: ShutdownLatch

    private func office(_ context: ServerContext) async throws -> (Caller, OfficeNumber) {
        let caller = try await authenticator.caller(of: context)
        guard let office = caller.office else {
            throw ServerErrors.detail(.notAuthorized, "OfficeService is for office certificates; this is \(caller.identity)")
        }
        return (caller, office)
    }

    func getServerInfo(request: Renkei_V1_GetServerInfoRequest, context: ServerContext) async throws -> Renkei_V1_ServerInfo {
        _ = try await authenticator.caller(of: context)
        var info = Renkei_V1_ServerInfo()
        info.serverVersion = RenkeiServer.version
        info.apiVersion = "renkei.v1"
        info.standardVersion = "v4.1"
        info.platformCaPem = settings.platformCAPEM
        info.platformCrlPem = authenticator.currentTrustStore.revocationLists.map(\.pem).joined()
        info.checkpointCertificatePem = settings.checkpointCertificatePEM ?? ""
        info.checkpointKeyName = platform.configuration.checkpointSigner?.keyName ?? ""
        var limits = Renkei_V1_Limits()
        let bounds = settings.limits
        limits.maxMessageBytes = UInt32(bounds.maximumMessageBytes)
        limits.maxChunkBytes = UInt32(bounds.maximumChunkBytes)
        limits.maxFilesPerUnit = UInt32(bounds.maximumFilesPerUnit)
        limits.maxFileBytes = UInt64(min(bounds.maximumUnitBytes, platform.configuration.maximumUnitBytes))
        limits.maxUnitBytes = UInt64(min(bounds.maximumUnitBytes, platform.configuration.maximumUnitBytes))
        limits.maxConcurrentSendsPerConnection = UInt32(bounds.maximumConcurrentSendsPerConnection)
        limits.maxConnectionsPerOffice = UInt32(bounds.maximumConnectionsPerOffice)
        limits.maxPageSize = UInt32(bounds.maximumPageSize)
        info.limits = limits
        info.latestSequence = try await ServerErrors.mapping { try await platform.latestSequence().rawValue }
        return info
    }

    func searchDirectory(request: Renkei_V1_SearchDirectoryRequest, context: ServerContext) async throws -> Renkei_V1_SearchDirectoryResponse {
        _ = try await office(context)
        for (text, field) in [(request.numberPrefix, "number prefix"), (request.namePrefix, "name prefix"), (request.serviceKind, "service kind")] {
            guard text.utf8.count <= 100 else { throw ServerErrors.detail(.invalidArgument, "\(field): at most 100 bytes") }
        }
        let query = DirectoryQuery(numberPrefix: request.numberPrefix.isEmpty ? nil : request.numberPrefix,
                                   namePrefix: request.namePrefix.isEmpty ? nil : request.namePrefix,
                                   prefecture: request.prefecture == 0 ? nil : Int(request.prefecture),
                                   serviceKind: request.serviceKind.isEmpty ? nil : request.serviceKind)
        let limit = request.limit == 0 ? 100 : min(Int(request.limit), settings.limits.maximumPageSize)
        return try await ServerErrors.mapping {
            try await platform.query { queries in
                var response = Renkei_V1_SearchDirectoryResponse()
                for record in try await queries.directory(query, limit: limit) {
                    response.offices.append(WireRecords.office(record, license: try await queries.license(record.officeNumber)))
                }
                return response
            }
        }
    }

    func requestRegistration(request: Renkei_V1_RequestRegistrationRequest, context: ServerContext) async throws -> Renkei_V1_RequestRegistrationResponse {
        let (caller, office) = try await office(context)
        guard request.serviceKinds.count <= 20 else { throw ServerErrors.detail(.invalidArgument, "at most 20 service kinds") }
        var kinds: [ServiceKindCode] = []
        for code in request.serviceKinds {
            guard let kind = ServiceKindCode(rawValue: code) else {
                throw ServerErrors.detail(.invalidArgument, "\"\(code.prefix(8))\" is not a サービス種類コード (two characters)")
            }
            kinds.append(kind)
        }
        let details = OfficeDetails(name: request.name, serviceKinds: kinds, prefecture: Int(request.prefecture),
                                    contactPerson: request.contactPerson, phone: request.contactPhone,
                                    email: request.contactEmail, address: request.contactAddress)
        var response = Renkei_V1_RequestRegistrationResponse()
        response.sequence = try await ServerErrors.mapping {
            try await platform.requestRegistration(of: office, details: details, billingLoginID: request.billingLoginID, by: caller.actor).rawValue
        }
        return response
    }

    func getMyOffice(request: Renkei_V1_GetMyOfficeRequest, context: ServerContext) async throws -> Renkei_V1_GetMyOfficeResponse {
        let (_, office) = try await office(context)
        return try await ServerErrors.mapping {
            try await platform.query { queries in
                guard let record = try await queries.office(office.rawValue) else {
                    throw DomainError(.officeNotFound, "\(office) has not applied (RequestRegistration)")
                }
                let license = try await queries.license(office.rawValue)
                var response = Renkei_V1_GetMyOfficeResponse()
                response.office = WireRecords.office(record, license: license)
                if let license {
                    response.licensePeriodStart = WireRecords.day(license.periodStart)
                    response.licensePeriodEnd = WireRecords.day(license.periodEnd)
                }
                response.certificates = try await queries.certificates(of: office.rawValue).map(WireRecords.certificate)
                return response
            }
        }
    }

    func send(request: RPCAsyncSequence<Renkei_V1_SendRequest, any Error>, context: ServerContext) async throws -> Renkei_V1_SendResponse {
        let (caller, _) = try await office(context)
        return try await connections.withSend(on: context.remotePeer) { try await receive(request, from: caller, origin: context.remotePeer) }
    }

    private func receive(_ request: RPCAsyncSequence<Renkei_V1_SendRequest, any Error>, from caller: Caller, origin: String) async throws -> Renkei_V1_SendResponse {
        var assembler = SendAssembler(limits: settings.limits)
        do {
            for try await message in request { try assembler.receive(message) }
        } catch let error as DomainError {
            throw ServerErrors.rpcError(error)
        }
        let upload: UploadRequest
        do { upload = try assembler.finish(origin: origin) } catch { throw ServerErrors.rpcError(error) }
        // The commit is not cancelled with the call: once the bytes are all here, the upload is decided
        // and either stored whole or refused whole, even if the client goes away or the server is stopping.
        let platform = self.platform
        let started = ContinuousClock.now
        let receipt = try await Task {
            try await ServerErrors.mapping { try await platform.upload(upload, by: caller.actor) }
        }.value
        if !receipt.isRepeat {
            ServerMetrics.uploaded(bytes: upload.files.reduce(0) { $0 + $1.bytes.count },
                                   commitNanoseconds: ObservationInterceptor.nanoseconds(since: started))
        }
        var response = Renkei_V1_SendResponse()
        response.unitID = receipt.unit.rawValue
        response.committedMicros = receipt.uploadedAt.rawValue
        response.repeat = receipt.isRepeat
        return response
    }

    func listInbox(request: Renkei_V1_ListMailboxRequest, context: ServerContext) async throws -> Renkei_V1_ListMailboxResponse {
        try await list(.inbox, request, context)
    }

    func listSent(request: Renkei_V1_ListMailboxRequest, context: ServerContext) async throws -> Renkei_V1_ListMailboxResponse {
        try await list(.sent, request, context)
    }

    private func list(_ kind: MailboxKind, _ request: Renkei_V1_ListMailboxRequest, _ context: ServerContext) async throws -> Renkei_V1_ListMailboxResponse {
        let (_, office) = try await office(context)
        var after: SequenceNumber?
        if !request.pageToken.isEmpty {
            guard request.pageToken.utf8.count <= 20, let value = UInt64(request.pageToken) else {
                throw ServerErrors.detail(.invalidArgument, "the page token is not one this server gave")
            }
            after = SequenceNumber(value)
        }
        let cursor = after
        guard request.serviceMonth.isEmpty || YearMonth(request.serviceMonth) != nil else {
            throw ServerErrors.detail(.invalidArgument, "service month: yyyymm, not \"\(request.serviceMonth.prefix(10))\"")
        }
        guard request.partner.isEmpty || OfficeNumber(rawValue: request.partner) != nil else {
            throw ServerErrors.detail(.invalidArgument, "partner: a 10-digit 事業所番号")
        }
        let filter = MailboxFilter(status: request.status == .unspecified ? nil : PBUnitStatus(rawValue: request.status.rawValue),
                                   serviceMonth: request.serviceMonth.isEmpty ? nil : request.serviceMonth,
                                   partner: request.partner.isEmpty ? nil : request.partner,
                                   unitType: request.unitType == .unspecified ? nil : PBUnitType(rawValue: request.unitType.rawValue))
        let limit = request.pageSize == 0 ? 50 : min(Int(request.pageSize), settings.limits.maximumPageSize)
        let page = try await ServerErrors.mapping {
            try await platform.query { try await $0.mailbox(of: office.rawValue, kind, filter: filter, after: cursor, limit: limit) }
        }
        var response = Renkei_V1_ListMailboxResponse()
        response.units = page.entries.map { WireRecords.summary($0, office: office.rawValue, kind: kind) }
        response.nextPageToken = page.next.map { String($0.rawValue) } ?? ""
        return response
    }

    func getUnit(request: Renkei_V1_GetUnitRequest, context: ServerContext) async throws -> Renkei_V1_UnitDetail {
        let (_, office) = try await office(context)
        let record = try await ServerErrors.mapping {
            try await platform.query { try await $0.unit(SequenceNumber(request.unitID)) }
        }
        guard let record else { throw ServerErrors.detail(.unitNotFound, "no send unit \(request.unitID)") }
        guard record.upload.sender == office.rawValue || record.upload.recipient == office.rawValue else {
            throw ServerErrors.detail(.notRecipient, "unit \(request.unitID) is neither from nor to \(office)")
        }
        var detail = WireRecords.detail(record)
        // The signature lives in the upload's event (the projection keeps the unit without it); the manifest
        // is rebuilt from the unit and checked against the hash recorded when it was signed.
        let event = try await ServerErrors.mapping { try await platform.event(at: SequenceNumber(request.unitID)) }
        if case .sendUnitUploaded(let upload)? = event {
            detail.signature = upload.signatureDer
            if let manifest = try? SendUnitManifest(sender: upload.sender, recipient: upload.recipient, unitNumber: upload.unitNumber,
                                                    files: upload.files.map { try SendUnitManifest.File(kind: $0.kind, name: $0.name, size: $0.size, sha256: $0.sha256.map { String(format: "%02x", $0) }.joined()) }),
               SHA256.hash(manifest.canonicalBytes).bytes.elementsEqual(upload.manifestSha256) {
                detail.manifest = Data(manifest.canonicalBytes)
            }
        }
        return detail
    }

    func download(request: Renkei_V1_DownloadRequest, response: RPCWriter<Renkei_V1_DownloadResponse>, context: ServerContext) async throws {
        let (caller, _) = try await office(context)
        guard !request.fileName.isEmpty, request.fileName.utf8.count <= 255 else {
            throw ServerErrors.detail(.invalidArgument, "file name: 1 to 255 bytes")
        }
        let unit = try await ServerErrors.mapping {
            try await platform.unitFiles(SequenceNumber(request.unitID), names: [request.fileName], by: caller.actor)
        }
        guard let file = unit.files.first, let entry = unit.unit.upload.files.first(where: { $0.name == request.fileName }) else {
            throw ServerErrors.detail(.invalidArgument, "unit \(request.unitID) has no file \(request.fileName)")
        }
        guard let chunks = DownloadChunks(file: WireRecords.file(entry), bytes: file.bytes, offset: request.offset,
                                          chunkBytes: settings.limits.maximumChunkBytes) else {
            throw ServerErrors.detail(.invalidArgument, "offset \(request.offset) is past the end of \(file.name) (\(file.bytes.count) bytes)")
        }
        for chunk in chunks { try await response.write(chunk) }
    }

    func acknowledgeDownload(request: Renkei_V1_AcknowledgeDownloadRequest, context: ServerContext) async throws -> Renkei_V1_AcknowledgeDownloadResponse {
        let (caller, _) = try await office(context)
        guard request.fileNames.count <= settings.limits.maximumFilesPerUnit else {
            throw ServerErrors.detail(.limitExceeded, "at most \(settings.limits.maximumFilesPerUnit) file names")
        }
        var response = Renkei_V1_AcknowledgeDownloadResponse()
        response.sequence = try await ServerErrors.mapping {
            try await platform.acknowledgeDownload(SequenceNumber(request.unitID), names: request.fileNames.isEmpty ? nil : request.fileNames,
                                                   by: caller.actor, origin: context.remotePeer).rawValue
        }
        return response
    }

    func withdraw(request: Renkei_V1_WithdrawRequest, context: ServerContext) async throws -> Renkei_V1_WithdrawResponse {
        let (caller, _) = try await office(context)
        var response = Renkei_V1_WithdrawResponse()
        response.sequence = try await ServerErrors.mapping {
            try await platform.withdraw(SequenceNumber(request.unitID), reason: request.reason, by: caller.actor).rawValue
        }
        return response
    }

    func subscribe(request: Renkei_V1_SubscribeRequest, response: RPCWriter<Renkei_V1_SubscribeResponse>, context: ServerContext) async throws {
        let (_, office) = try await office(context)
        guard request.heartbeatSeconds <= 3600 else { throw ServerErrors.detail(.invalidArgument, "heartbeat: at most 3600 seconds") }
        let heartbeat: Duration = request.heartbeatSeconds == 0 ? settings.limits.defaultHeartbeat : .seconds(Int(request.heartbeatSeconds))
        let subscription = Subscription(platform: platform, office: office.rawValue, after: request.after,
                                        pageSize: settings.limits.subscriberBuffer, heartbeat: heartbeat, clock: platform.configuration.clock,
                                        shutdown: shutdown)
        try await connections.withSubscription {
            try await ServerErrors.mapping { try await subscription.run { try await response.write($0) } }
        }
    }
}
