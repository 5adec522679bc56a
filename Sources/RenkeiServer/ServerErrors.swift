public import GRPCCore
import RenkeiAPI
public import RenkeiCore
import RenkeiStore

/// The wire form of refusals: each `DomainError` becomes the fitting gRPC status with a
/// `renkei.v1.ErrorDetail` in the trailers (API.md lists the codes and their statuses).
public enum ServerErrors {
    /// The gRPC status for each code of the platform's table.
    public static func status(for code: DomainError.Code, storeError: StoreError? = nil) -> RPCError.Code {
        switch code {
        case .senderNotRegistered, .recipientNotRegistered, .senderNotLicensed, .recipientNotLicensed, .alreadyDownloaded,
             .unitWithdrawn, .unitPurged, .alreadyRegistered, .registrationNotPending, .licenseState, .certificateState,
             .issuerState, .noSigningKey, .certificateRevoked:
            .failedPrecondition
        case .sameOffice, .wrongDirection, .fileNameMismatch, .validationFailed, .unitMismatch, .attachmentInvalid,
             .manifestMismatch, .invalidArgument, .signatureInvalid, .signerNotSender, .protocolViolation:
            .invalidArgument
        case .notRecipient, .notSender, .notAuthorized: .permissionDenied
        case .unitNotFound, .officeNotFound: .notFound
        case .idempotencyKeyReused: .alreadyExists
        case .busy: .aborted
        case .limitExceeded: .resourceExhausted
        case .unauthenticated: .unauthenticated
        case .unavailable: .unavailable
        case .storage: storeError?.code == .storageFull ? .resourceExhausted : .unavailable
        default: .internalError
        }
    }

    /// The detail sent for `error`.
    public static func detail(of error: DomainError) -> Renkei_V1_ErrorDetail {
        var detail = Renkei_V1_ErrorDetail()
        detail.code = UInt32(error.code.rawValue)
        detail.name = error.code.name
        detail.messageJa = error.code.japanese
        detail.messageEn = error.code.english
        detail.detail = error.detail
        detail.findings = error.findings.map(Renkei_V1_Finding.init)
        return detail
    }


    /// The RPC error for a refusal.
    public static func rpcError(_ error: DomainError) -> RPCError {
        detail(of: error).rpcError(status(for: error.code, storeError: error.storeError))
    }

    /// The RPC error for a refusal with `code` and `detail`.
    public static func detail(_ code: DomainError.Code, _ text: String) -> RPCError {
        rpcError(DomainError(code, text))
    }

    /// Runs `body`, turning the platform's refusals into RPC errors (other errors pass unchanged).
    public static func mapping<R>(_ body: () async throws -> R) async throws -> R {
        do {
            return try await body()
        } catch let error as DomainError {
            throw rpcError(error)
        }
    }
}
