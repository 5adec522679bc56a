import Foundation
import RenkeiAPI
import RenkeiCore
import RenkeiModel

/// The state of one Send call: the header first, then each file's bytes in the manifest's order, in
/// chunks. It checks every message against the header and the limits as it arrives, so a bad call is
/// refused before its bytes pile up, and it yields the upload only once every file is complete.
struct SendAssembler {
    private let limits: ServerLimits
    private var header: (recipient: OfficeNumber, manifest: [UInt8], signature: [UInt8], key: String)?
    private var expected: [SendUnitManifest.File] = []
    private var files: [[UInt8]] = []
    private var current = 0
    private var received = 0

    init(limits: ServerLimits) { self.limits = limits }

    /// Takes the next message of the call.
    mutating func receive(_ message: Renkei_V1_SendRequest) throws(DomainError) {
        switch message.part {
        case .header(let header)?:
            try receiveHeader(header)
        case .chunk(let chunk)?:
            try receiveChunk(chunk)
        case nil:
            throw DomainError(.protocolViolation, "a Send message must carry a header or a chunk")
        }
    }

    private mutating func receiveHeader(_ message: Renkei_V1_SendHeader) throws(DomainError) {
        guard header == nil else { throw DomainError(.protocolViolation, "a Send call has one header, first") }
        guard let recipient = OfficeNumber(rawValue: message.recipient) else {
            throw DomainError(.invalidArgument, "the recipient must be a 10-digit 事業所番号, not \"\(message.recipient.prefix(20))\"")
        }
        guard !message.idempotencyKey.isEmpty, message.idempotencyKey.utf8.count <= 128 else {
            throw DomainError(.invalidArgument, "the idempotency key must be 1 to 128 bytes")
        }
        let manifest: SendUnitManifest
        do {
            manifest = try SendUnitManifest(canonicalBytes: Array(message.manifest))
        } catch {
            throw DomainError(.manifestMismatch, "the manifest is malformed: \(error)")
        }
        guard manifest.files.count <= limits.maximumFilesPerUnit else {
            throw DomainError(.limitExceeded, "\(manifest.files.count) files; a unit holds at most \(limits.maximumFilesPerUnit)")
        }
        let total = manifest.files.reduce(UInt64(0)) { $0 + $1.size }
        guard total <= UInt64(limits.maximumUnitBytes) else {
            throw DomainError(.limitExceeded, "\(total) bytes; a unit holds at most \(limits.maximumUnitBytes)")
        }
        header = (recipient, Array(message.manifest), Array(message.signature), message.idempotencyKey)
        expected = manifest.files
        files = manifest.files.map { _ in [] }
        for index in files.indices { files[index].reserveCapacity(Int(expected[index].size)) }
        skipEmptyFiles()
    }

    private mutating func receiveChunk(_ chunk: Renkei_V1_FileChunk) throws(DomainError) {
        guard header != nil else { throw DomainError(.protocolViolation, "file bytes came before the header") }
        guard chunk.data.count <= limits.maximumChunkBytes else {
            throw DomainError(.limitExceeded, "a chunk of \(chunk.data.count) bytes; at most \(limits.maximumChunkBytes)")
        }
        guard Int(chunk.fileIndex) == current, current < expected.count else {
            throw DomainError(.protocolViolation, "a chunk of file \(chunk.fileIndex) came while file \(current) of \(expected.count) was expected")
        }
        let size = Int(expected[current].size)
        guard files[current].count + chunk.data.count <= size else {
            throw DomainError(.manifestMismatch, "\(expected[current].name) is longer than the manifest's \(size) bytes")
        }
        files[current].append(contentsOf: chunk.data)
        received += chunk.data.count
        if files[current].count == size {
            current += 1
            skipEmptyFiles()
        }
    }

    private mutating func skipEmptyFiles() {
        while current < expected.count, expected[current].size == 0 { current += 1 }
    }

    /// The upload, once the call's messages have ended; refuses a call that ended early. `origin` is the
    /// call's network peer.
    func finish(origin: String = "") throws(DomainError) -> UploadRequest {
        guard let header else { throw DomainError(.protocolViolation, "the Send call ended without a header") }
        guard current == expected.count else {
            throw DomainError(.manifestMismatch, "the call ended during \(expected[current].name): \(files[current].count) of \(expected[current].size) bytes")
        }
        let uploads = zip(expected, files).map { UploadFile(name: $0.name, bytes: $1) }
        return UploadRequest(recipient: header.recipient, files: uploads, manifest: header.manifest,
                             signature: header.signature, idempotencyKey: header.key, origin: origin)
    }
}
