import Foundation
import GRPCCore
import RenkeiAPI
import RenkeiCore
import RenkeiModel
import RenkeiStore

/// AuditService: event trails with the proofs an auditor verifies offline. Every RPC requires an auditor
/// certificate.
struct AuditServiceHandler: Renkei_V1_AuditService.SimpleServiceProtocol {
    let platform: Platform
    let authenticator: ClientAuthenticator
    let settings: ServerSettings

    private func requireAuditor(_ context: ServerContext) async throws {
        let caller = try await authenticator.caller(of: context)
        guard caller.identity.role == .auditor else {
            throw ServerErrors.detail(.notAuthorized, "AuditService needs an auditor certificate; this is \(caller.identity)")
        }
    }

    func queryAudit(request: Renkei_V1_QueryAuditRequest, context: ServerContext) async throws -> Renkei_V1_QueryAuditResponse {
        try await requireAuditor(context)
        let limit = request.limit == 0 ? 1000 : min(Int(request.limit), 10_000)
        let office = request.officeNumber
        guard office.isEmpty || OfficeNumber(rawValue: office) != nil else { throw ServerErrors.detail(.invalidArgument, "事業所番号: 10 digits") }
        guard !office.isEmpty || request.fromMicros < request.toMicros else {
            throw ServerErrors.detail(.invalidArgument, "give an office number or a time range with from < to")
        }
        let after = request.after == 0 ? nil : SequenceNumber(request.after)
        return try await ServerErrors.mapping {
            try await platform.reading { snapshot in
                let queries = PlatformQueries(SnapshotProjectionReader(snapshot))
                let lines = office.isEmpty
                    ? try await queries.audit(from: Timestamp(rawValue: request.fromMicros), to: Timestamp(rawValue: request.toMicros), limit: limit)
                    : try await queries.audit(of: office, after: after, limit: limit)
                var response = Renkei_V1_QueryAuditResponse()
                for line in lines {
                    guard let event = try await snapshot.event(at: line.sequence) else { continue }
                    response.events.append(try AuditLines.event(event))
                }
                return response
            }
        }
    }

    func export(request: Renkei_V1_ExportRequest, response: RPCWriter<Renkei_V1_ExportResponse>, context: ServerContext) async throws {
        try await requireAuditor(context)
        let office = request.officeNumber
        guard office.isEmpty || OfficeNumber(rawValue: office) != nil else { throw ServerErrors.detail(.invalidArgument, "事業所番号: 10 digits") }
        // A checkpoint covering the log as it is now (signed if the log grew since the last one).
        let checkpoint = try await ServerErrors.mapping { try await currentCheckpoint() }
        let treeSize = checkpoint.treeSize
        let from = max(request.fromSequence, 1)
        let to = request.toSequence == 0 ? treeSize : min(request.toSequence, treeSize)
        var next = from
        let page = 256
        while next <= to {
            let start = next
            let items = try await ServerErrors.mapping {
                try await platform.reading { snapshot in
                    var items: [Renkei_V1_ExportedEvent] = []
                    let sequences: [SequenceNumber]
                    if office.isEmpty {
                        sequences = (start...min(to, start + UInt64(page) - 1)).map { SequenceNumber($0) }
                    } else {
                        sequences = try await PlatformQueries(SnapshotProjectionReader(snapshot))
                            .audit(of: office, after: start > 1 ? SequenceNumber(start - 1) : nil, limit: page)
                            .map(\.sequence).filter { $0.rawValue <= to }
                    }
                    for sequence in sequences {
                        guard let event = try await snapshot.event(at: sequence) else { continue }
                        var item = Renkei_V1_ExportedEvent()
                        item.sequence = sequence.rawValue
                        item.record = Data(event.recordBytes)
                        item.treeSize = treeSize
                        item.inclusionProof = try await snapshot.inclusionProof(of: sequence, treeSize: treeSize).map { Data($0.bytes) }
                        item.event = try AuditLines.event(event)
                        items.append(item)
                    }
                    return (items, sequences.last?.rawValue)
                }
            }
            for item in items.0 {
                var message = Renkei_V1_ExportResponse()
                message.event = item
                try await response.write(message)
            }
            guard let last = items.1, office.isEmpty || items.0.count == page else { break }
            next = last + 1
        }
        var last = Renkei_V1_ExportResponse()
        last.checkpoint = checkpoint.note
        try await response.write(last)
    }

    /// The last signed checkpoint, after signing one if the log grew since.
    private func currentCheckpoint() async throws -> Checkpointed {
        _ = try await platform.signCheckpointIfAdvanced()
        guard let (size, note) = try await platform.latestCheckpoint() else {
            throw DomainError(.noSigningKey, "the platform has signed no checkpoint")
        }
        return Checkpointed(treeSize: size, note: note)
    }

    private struct Checkpointed { let treeSize: UInt64; let note: String }

    func getConsistencyProof(request: Renkei_V1_ConsistencyProofRequest, context: ServerContext) async throws -> Renkei_V1_ConsistencyProofResponse {
        try await requireAuditor(context)
        return try await ServerErrors.mapping {
            try await platform.reading { snapshot in
                let latest = try await snapshot.latestSequence().rawValue
                let newSize = request.newSize == 0 ? latest : request.newSize
                guard request.oldSize >= 1, request.oldSize <= newSize, newSize <= latest else {
                    throw DomainError(.invalidArgument, "sizes: 1 ≤ old ≤ new ≤ \(latest)")
                }
                var response = Renkei_V1_ConsistencyProofResponse()
                response.oldSize = request.oldSize
                response.newSize = newSize
                response.proof = try await snapshot.consistencyProof(from: request.oldSize, to: newSize).map { Data($0.bytes) }
                response.oldRoot = Data(try await snapshot.merkleRoot(treeSize: request.oldSize).bytes)
                response.newRoot = Data(try await snapshot.merkleRoot(treeSize: newSize).bytes)
                return response
            }
        }
    }
}

/// Audit lines for people.
enum AuditLines {
    static func event(_ event: Event) throws -> Renkei_V1_AuditEvent {
        var line = Renkei_V1_AuditEvent()
        line.sequence = event.sequence.rawValue
        line.micros = event.envelope.timestamp.rawValue
        line.kind = UInt32(event.envelope.kind.rawValue)
        line.kindName = event.envelope.kind.name ?? "kind\(event.envelope.kind.rawValue)"
        line.actor = event.envelope.actor.description
        let domainEvent = try DomainEvent(kind: event.envelope.kind, body: event.body)
        line.summary = domainEvent?.summary ?? ""
        line.origin = domainEvent?.origin ?? ""
        return line
    }
}
