import RenkeiAPI
import Foundation

/// The messages of one Download call: a file's bytes from `offset`, in chunks of at most `chunkBytes`,
/// the first one carrying the file's name, size and SHA-256 so a client resuming a broken download can
/// check the whole file at the end. Pure: the handler writes what it yields.
struct DownloadChunks: Sequence, IteratorProtocol {
    private let file: Renkei_V1_FileInfo
    private let bytes: [UInt8]
    private let chunkBytes: Int
    private var offset: Int
    private var first = true

    /// Chunks of `bytes` from `offset`; nil when the offset is past the end.
    init?(file: Renkei_V1_FileInfo, bytes: [UInt8], offset: UInt64, chunkBytes: Int) {
        guard offset <= UInt64(bytes.count), chunkBytes > 0 else { return nil }
        self.file = file
        self.bytes = bytes
        self.chunkBytes = chunkBytes
        self.offset = Int(offset)
    }

    mutating func next() -> Renkei_V1_DownloadResponse? {
        // An empty file, or an offset at the end, still answers once (with the file's description).
        guard offset < bytes.count || first else { return nil }
        var message = Renkei_V1_DownloadResponse()
        if first { message.file = file }
        first = false
        let end = Swift.min(bytes.count, offset + chunkBytes)
        message.offset = UInt64(offset)
        message.data = bytes.withUnsafeBufferPointer { Data($0[offset..<end]) }
        offset = end
        return message
    }
}
