import Foundation
import RenkeiCrypto
public import RenkeiModel
public import RenkeiStore

/// What the platform answers an upload: the unit's number (its upload's sequence) and when it arrived.
public struct UploadReceipt: Hashable, Sendable {
    /// The send unit's number: the sequence of its SendUnitUploaded event.
    public let unit: SequenceNumber
    /// When it was stored.
    public let uploadedAt: Timestamp
    /// The kind of unit the files form.
    public let unitType: PBUnitType
    /// True when the idempotency key had been used for this same unit: nothing new was stored.
    public let isRepeat: Bool
}

/// A unit's files as the recipient receives them.
public struct DownloadedUnit: Sendable {
    /// The unit, as the recipient's detail screen shows it.
    public let unit: PBUnitRecord
    /// The files asked for, with their bytes (checked against their SHA-256 by the store).
    public let files: [UploadFile]
}

extension Platform {
    /// Accepts a send unit from the office `actor` to `request.recipient`, after every rule: bounds, the
    /// manifest, file names, the standard's rules, attachments, the signature, both offices registered and
    /// licensed today, the direction of the unit, the signer's certificate unrevoked; an idempotency key
    /// already used for this unit returns its first receipt. A refusal is recorded (SendUnitRefused) for
    /// the audit and changes nothing else.
    public func upload(_ request: UploadRequest, by actor: Actor, requestID: RequestID = .random()) async throws(DomainError) -> UploadReceipt {
        guard case .office(let sender) = actor else { throw DomainError(.notAuthorized, "\(actor) is not an office") }
        do {
            return try await guarded { try await acceptUpload(request, sender: sender, actor: actor, requestID: requestID) }
        } catch where error.code != .storage && error.code != .busy {
            var refused = PBSendUnitRefused()
            refused.sender = sender.rawValue
            refused.recipient = request.recipient.rawValue
            refused.unitNumber = (try? SendUnitManifest(canonicalBytes: request.manifest))?.unitNumber ?? ""
            refused.code = UInt32(error.code.rawValue)
            refused.reason = String(error.detail.prefix(1000))
            refused.idempotencyKey = String(request.idempotencyKey.prefix(64))
            refused.origin = request.origin
            // The caller gets the refusal whatever happens to its audit record (a full store refuses that too).
            _ = try? await record(.sendUnitRefused(refused), by: actor, request: requestID)
            throw error
        }
    }

    private func acceptUpload(_ request: UploadRequest, sender: OfficeNumber, actor: Actor, requestID: RequestID) async throws -> UploadReceipt {
        let now = configuration.clock()
        let day = CivilDay(now)
        let (inspected, stages) = try InspectedUpload.inspect(request, sender: sender, store: store, configuration: configuration, signers: signers,
                                                              dictionaries: try await dictionaryIDs(), now: now, timed: statistics.timesNextUpload())
        let decided = UploadStatistics.wall()
        defer { statistics.record(stages: stages, commit: UploadStatistics.wall() - decided) }
        let (repeated, receipt) = try await execute(by: actor, request: requestID) { decision, reader -> UploadReceipt? in
            let event = inspected.event
            // Everything the checks below read, in one go.
            try await reader.prefetch([Keys.idempotency(event.sender, event.idempotencyKey), Keys.office(event.sender), Keys.office(event.recipient),
                                       Keys.license(event.sender), Keys.license(event.recipient)]
                                      + (inspected.signer.isExternal ? [] : [Keys.certificate(event.signerSerial)]))
            if let earlier = try await reader.record(PBIdempotencyRecord.self, at: Keys.idempotency(event.sender, event.idempotencyKey)) {
                guard earlier.manifestSha256 == event.manifestSha256, let unit = try await reader.unit(earlier.unit) else {
                    throw DomainError(.idempotencyKeyReused, "key \(event.idempotencyKey) was used for unit \(earlier.unit)")
                }
                return UploadReceipt(unit: SequenceNumber(unit.sequence), uploadedAt: Timestamp(rawValue: unit.uploadedMicros), unitType: unit.upload.unitType, isRepeat: true)
            }
            guard let from = try await reader.office(event.sender), from.status == .approved else {
                throw DomainError(.senderNotRegistered, event.sender)
            }
            guard let to = try await reader.office(event.recipient), to.status == .approved else {
                throw DomainError(.recipientNotRegistered, event.recipient)
            }
            guard try await reader.license(event.sender)?.isValid(on: day) == true else { throw DomainError(.senderNotLicensed, "\(event.sender) on \(day)") }
            guard try await reader.license(event.recipient)?.isValid(on: day) == true else { throw DomainError(.recipientNotLicensed, "\(event.recipient) on \(day)") }
            let plansCare = from.serviceKinds.contains { $0 == "43" || $0 == "46" }
            guard InspectedUpload.sendsInDirection(event, plansCare: plansCare) else {
                throw DomainError(.wrongDirection, "\(event.sender) (\(from.serviceKinds.joined(separator: ","))) does not send \(event.definitionID)")
            }
            if !inspected.signer.isExternal {
                let certificate = try await reader.record(PBCertificateRecord.self, at: Keys.certificate(event.signerSerial))
                guard let certificate, !certificate.revoked, certificate.issued.officeNumber == event.sender else {
                    throw DomainError(.certificateRevoked, "serial \(event.signerSerial)\(certificate?.revoked == true ? " is revoked" : " is not recorded as issued to \(event.sender)")")
                }
            }
            var recorded = event
            (recorded.senderPrefecture, recorded.recipientPrefecture) = (from.prefecture, to.prefecture)
            decision.events.append(.sendUnitUploaded(recorded))
            decision.blobs = inspected.blobs
            return nil
        }
        if let repeated { return repeated }
        guard let envelope = receipt?.events.first else { throw DomainError(.storage, "the upload's write returned no event") }
        return UploadReceipt(unit: envelope.sequence, uploadedAt: envelope.timestamp, unitType: inspected.event.unitType, isRepeat: false)
    }

    /// The unit's files for its recipient (all, or those named), read from one snapshot. Does not record
    /// the download: call `acknowledgeDownload` once the files are safely received.
    public func unitFiles(_ unit: SequenceNumber, names: [String]? = nil, by actor: Actor) async throws(DomainError) -> DownloadedUnit {
        try await guarded {
            try await store.read { snapshot in
                let reader = DecisionReader(snapshot: snapshot)
                let record = try await Self.downloadable(unit, by: actor, reader)
                let wanted = try Self.files(of: record, named: names)
                var files: [UploadFile] = []
                for entry in wanted {
                    guard let hash = SHA256Digest(bytes: entry.sha256), let bytes = try await snapshot.blob(hash) else {
                        throw DomainError(.unitPurged, "\(entry.name) is no longer stored")
                    }
                    files.append(UploadFile(name: entry.name, bytes: bytes))
                }
                return DownloadedUnit(unit: record, files: files)
            }
        }
    }

    /// Records that the recipient downloaded the unit's files (all, or those named): the 受信 status turns
    /// ダウンロード済, and the sender sees when. `origin` is where the request came from (see `UploadRequest.origin`).
    @discardableResult
    public func acknowledgeDownload(_ unit: SequenceNumber, names: [String]? = nil, by actor: Actor, request: RequestID = .random(),
                                    origin: String = "") async throws(DomainError) -> SequenceNumber {
        try await decideAndCommit(by: actor, request: request) { decision, reader in
            let record = try await Self.downloadable(unit, by: actor, reader)
            var event = PBSendUnitDownloaded()
            event.unit = unit.rawValue
            event.recipient = record.upload.recipient
            event.sender = record.upload.sender
            event.files = try Self.files(of: record, named: names).map(\.name)
            event.origin = Origin.bounded(origin)
            decision.events.append(.sendUnitDownloaded(event))
        }
    }

    /// Reads the unit's files and records the download.
    public func download(_ unit: SequenceNumber, names: [String]? = nil, by actor: Actor, request: RequestID = .random()) async throws(DomainError) -> DownloadedUnit {
        let files = try await unitFiles(unit, names: names, by: actor)
        try await acknowledgeDownload(unit, names: names, by: actor, request: request)
        return files
    }

    /// Withdraws a unit the recipient has not downloaded (its sender only).
    @discardableResult
    public func withdraw(_ unit: SequenceNumber, reason: String, by actor: Actor, request: RequestID = .random()) async throws(DomainError) -> SequenceNumber {
        try TextRule.check(reason, "reason", maximum: 500, optional: true)
        return try await decideAndCommit(by: actor, request: request) { decision, reader in
            guard let record = try await reader.unit(unit.rawValue) else { throw DomainError(.unitNotFound, "unit \(unit)") }
            guard case .office(let office) = actor, office.rawValue == record.upload.sender else {
                throw DomainError(.notSender, "unit \(unit) is from \(record.upload.sender), not \(actor)")
            }
            switch record.status {
            case .downloaded: throw DomainError(.alreadyDownloaded, "unit \(unit)")
            case .withdrawn: throw DomainError(.unitWithdrawn, "unit \(unit)")
            case .purged: throw DomainError(.unitPurged, "unit \(unit)")
            default: break
            }
            var event = PBSendUnitWithdrawn()
            event.unit = unit.rawValue
            event.sender = record.upload.sender
            event.recipient = record.upload.recipient
            event.reason = reason
            decision.events.append(.sendUnitWithdrawn(event))
        }
    }

    /// The unit, if `actor` is its recipient and its files can still be downloaded.
    private static func downloadable(_ unit: SequenceNumber, by actor: Actor, _ reader: DecisionReader) async throws -> PBUnitRecord {
        guard let record = try await reader.unit(unit.rawValue) else { throw DomainError(.unitNotFound, "unit \(unit)") }
        guard case .office(let office) = actor, office.rawValue == record.upload.recipient else {
            throw DomainError(.notRecipient, "unit \(unit) is for \(record.upload.recipient), not \(actor)")
        }
        if record.status == .withdrawn { throw DomainError(.unitWithdrawn, "unit \(unit)") }
        if record.purged { throw DomainError(.unitPurged, "unit \(unit)") }
        return record
    }

    private static func files(of record: PBUnitRecord, named names: [String]?) throws -> [PBFileEntry] {
        guard let names else { return record.upload.files }
        guard (1...SendUnitManifest.maximumFiles).contains(names.count) else { throw DomainError(.invalidArgument, "name 1 to \(SendUnitManifest.maximumFiles) files") }
        return try names.map { name in
            guard let entry = record.upload.files.first(where: { $0.name == name }) else {
                throw DomainError(.invalidArgument, "unit \(record.sequence) has no file named \(name.prefix(128))")
            }
            return entry
        }
    }
}
