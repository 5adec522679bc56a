#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a file's bytes come from: a path read in chunks, or bytes already in memory.
public enum ByteSource: Sendable {
    /// A file on disk, read in chunks of `chunkSize` bytes.
    case path(String, chunkSize: Int = 256 << 10)
    /// Bytes in memory.
    case bytes([UInt8])

    /// Calls `body` with successive chunks of the input, stopping after `limit` bytes; returns whether the input
    /// was longer than `limit`. Throws ``ByteSourceError`` when a file cannot be opened or read.
    func forEachChunk(limit: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> Void) throws -> Bool {
        switch self {
        case .bytes(let bytes):
            try bytes.withUnsafeBufferPointer { buffer in
                try body(UnsafeBufferPointer(rebasing: buffer[0..<min(buffer.count, limit)]))
            }
            return bytes.count > limit
        case .path(let path, let chunkSize):
            let descriptor = open(path, O_RDONLY)
            guard descriptor >= 0 else { throw ByteSourceError(path: path, errno: errno) }
            defer { close(descriptor) }
            // A small file gets a buffer of its size (plus one byte, to see the end in one read), not a full chunk.
            var status = stat()
            let size = fstat(descriptor, &status) == 0 && status.st_size > 0 ? Int(status.st_size) + 1 : chunkSize
            var chunk = [UInt8](repeating: 0, count: max(4096, min(chunkSize, size)))
            var total = 0
            while true {
                let got = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if got < 0 {
                    if errno == EINTR { continue }
                    throw ByteSourceError(path: path, errno: errno)
                }
                if got == 0 { return false }
                let usable = min(got, limit - total)
                try chunk.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[0..<usable])) }
                total += usable
                if usable < got { return true }
            }
        }
    }
}

/// A file that could not be opened or read (IO-1).
public struct ByteSourceError: Error, Hashable, CustomStringConvertible {
    /// The stable code: IO-1.
    public let code = FindingCode.unreadable
    /// The path.
    public let path: String
    /// The system error number.
    public let errno: Int32

    /// The system's description of the error.
    public var reason: String { String(cString: strerror(errno)) }
    public var description: String { "IO-1: \(path): \(reason)" }
}
