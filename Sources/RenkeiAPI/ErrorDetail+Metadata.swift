public import GRPCCore
import SwiftProtobuf

/// Refusals on the wire: the gRPC status carries the fitting code and an English message; the trailers
/// carry a `renkei.v1.ErrorDetail` (the stable Renkei number, the message in Japanese and English, the
/// details and, for refused files, the findings) as binary metadata under `ErrorDetail.metadataKey`.
extension Renkei_V1_ErrorDetail {
    /// The trailer key. gRPC sends `-bin` values base64-encoded; every gRPC library decodes them.
    public static let metadataKey = "renkei-error-detail-bin"

    /// The detail an error's trailers carry, if any.
    public init?(metadata: Metadata) {
        guard let bytes = metadata[binaryValues: Self.metadataKey].first(where: { _ in true }),
              let detail = try? Renkei_V1_ErrorDetail(serializedBytes: bytes) else { return nil }
        self = detail
    }

    /// The RPC error a server throws for this detail: `status` with "[code] English: detail", and the
    /// detail in the trailers.
    public func rpcError(_ status: RPCError.Code) -> RPCError {
        var metadata = Metadata()
        if let bytes: [UInt8] = try? serializedBytes() { metadata.addBinary(bytes, forKey: Self.metadataKey) }
        let text = detail.isEmpty ? "[\(code)] \(messageEn)" : "[\(code)] \(messageEn): \(detail)"
        return RPCError(code: status, message: text, metadata: metadata)
    }

    /// "[1005] 自事業所には送信できません / an office cannot send to itself: 1310000001"
    public var text: String {
        "[\(code)] \(messageJa) / \(messageEn)" + (detail.isEmpty ? "" : ": \(detail)")
    }
}
