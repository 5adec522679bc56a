public import GRPCCore
public import RenkeiAPI
public import RenkeiCore

/// Why a call failed: the server's Renkei code and message (from the `renkei.v1.ErrorDetail` in the
/// trailers) when it refused, or the gRPC status alone when the failure was the transport's.
public struct RenkeiClientError: Error, Sendable, CustomStringConvertible {
    /// The gRPC status.
    public let status: RPCError.Code
    /// The server's detail (code, Japanese and English message, findings); nil for transport failures.
    public let detail: Renkei_V1_ErrorDetail?
    /// The status message.
    public let message: String
    /// What the transport said below the status (a TLS or connection failure), for telling failures apart.
    public let cause: String

    /// The stable Renkei code (API.md), or nil when the server sent none.
    public var code: Int? { detail.map { Int($0.code) } }

    public init(_ error: RPCError) {
        status = error.code
        detail = Renkei_V1_ErrorDetail(metadata: error.metadata)
        message = error.message
        var causes: [String] = []
        var next = error.cause
        while let current = next, causes.count < 8 {
            causes.append(String(describing: current))
            next = (current as? RPCError)?.cause
        }
        cause = causes.joined(separator: " ← ")
    }

    /// A refusal made here, before anything was sent: the server's table of codes and messages.
    public init(_ code: DomainError.Code, _ text: String, findings: [Renkei_V1_Finding] = []) {
        var detail = Renkei_V1_ErrorDetail()
        detail.code = UInt32(code.rawValue)
        detail.name = code.name
        detail.messageJa = code.japanese
        detail.messageEn = code.english
        detail.detail = text
        detail.findings = findings
        self.detail = detail
        status = .invalidArgument
        message = "[\(code.rawValue)] \(code.english): \(text)"
        cause = ""
    }

    public var description: String { detail?.text ?? "\(status): \(message)" }

    /// Runs `body`, turning RPC errors into `RenkeiClientError`.
    static func mapping<R>(_ body: () async throws -> R) async throws -> R {
        do {
            return try await body()
        } catch let error as RPCError {
            throw RenkeiClientError(error)
        }
    }
}
