import GRPCCore
import Logging
import Metrics
import RenkeiAPI
import RenkeiCore
import RenkeiCrypto

/// Authentication and authorisation by role, before any handler runs: the caller must present a
/// certificate the handshake verified, and its role must be the service's (offices → OfficeService,
/// operators → OperatorService, auditors → AuditService). Refusals are logged and counted by code. Each
/// handler then names its caller with `ClientAuthenticator.caller(of:)`, which adds the log's revocation
/// check (one read per call, made once).
struct AccessInterceptor: ServerInterceptor {
    let authenticator: ClientAuthenticator
    let logger: Logger

    static let roles: [String: OfficeIdentity.Role] = [
        "renkei.v1.OfficeService": .office, "renkei.v1.OperatorService": .operator, "renkei.v1.AuditService": .auditor,
    ]

    func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>,
        context: ServerContext,
        next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        let service = context.descriptor.service.fullyQualifiedService
        do {
            let caller = try authenticator.identity(of: context)
            // Server information (versions, limits, the CA and its CRLs) is for every authenticated caller.
            let open = context.descriptor.method == "GetServerInfo"
            if let role = Self.roles[service], caller.identity.role != role, !open {
                throw ServerErrors.detail(.notAuthorized, "\(service) is for \(role.rawValue) certificates; this is \(caller.identity)")
            }
        } catch let error as RPCError {
            ServerMetrics.refused(error)
            logger.notice("refused", metadata: ["method": "\(context.descriptor.fullyQualifiedMethod)", "peer": "\(context.remotePeer)",
                                               "error": "\(error.message)"])
            throw error
        }
        return try await next(request, context)
    }
}

/// Logs each call's outcome and duration, and counts calls and refusals by method and code.
struct ObservationInterceptor: ServerInterceptor {
    let logger: Logger

    func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>,
        context: ServerContext,
        next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        let method = context.descriptor.fullyQualifiedMethod
        let started = ContinuousClock.now
        do {
            let response = try await next(request, context)
            if case .failure(let error) = response.accepted {
                ServerMetrics.refused(error)
                logger.info("call refused", metadata: ["method": "\(method)", "error": "\(error.message)"])
            }
            Timer(label: "renkei_call_duration", dimensions: [("method", method)]).recordNanoseconds(Self.nanoseconds(since: started))
            return response
        } catch let error as RPCError {
            ServerMetrics.refused(error)
            logger.info("call refused", metadata: ["method": "\(method)", "error": "\(error.message)"])
            throw error
        }
    }

    static func nanoseconds(since start: ContinuousClock.Instant) -> Int64 {
        let elapsed = ContinuousClock.now - start
        return elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
    }
}

/// The server's own counters (swift-metrics; exported by swift-prometheus when a metrics port is set).
enum ServerMetrics {
    static func refused(_ error: RPCError) {
        let code = Renkei_V1_ErrorDetail(metadata: error.metadata).map { String($0.code) } ?? "none"
        Counter(label: "renkei_refusals_total", dimensions: [("code", code), ("status", "\(error.code)")]).increment()
    }

    static func uploaded(bytes: Int, commitNanoseconds: Int64) {
        Counter(label: "renkei_uploads_total").increment()
        Counter(label: "renkei_upload_bytes_total").increment(by: bytes)
        Timer(label: "renkei_commit_latency").recordNanoseconds(commitNanoseconds)
    }

    static let subscribers = Gauge(label: "renkei_subscribers")
}
