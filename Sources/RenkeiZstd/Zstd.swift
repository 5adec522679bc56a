internal import CZstd
import Synchronization

/// One-shot zstd compression and decompression of buffers, safe from any thread.
///
/// Frames carry their content size and a checksum, and name the dictionary they were compressed with.
/// Contexts are pooled, so small inputs (the log's records, 10 KiB files) pay no set-up cost.
public enum Zstd {
    /// zstd's default level, a good balance for the log.
    public static let defaultLevel: Int32 = 3

    /// The level for the log's event bodies: records of a kilobyte or two, most of an upload's a signature
    /// and certificates that do not compress. zstd's fast level -1 makes them as small as level 1 and within
    /// 2 % of level 3, in a third of level 3's time (2.6 against 7.7 µs for an upload's 1.6 KB body here,
    /// where level 3 spends longer on it than on a 10 KiB file).
    public static let bodyLevel: Int32 = -1

    /// The levels zstd accepts.
    public static var levels: ClosedRange<Int32> { ZSTD_minCLevel()...ZSTD_maxCLevel() }

    /// Compresses `input` into one frame at `level`, with `dictionary` if given.
    public static func compress(_ input: UnsafeRawBufferPointer, level: Int32 = defaultLevel, dictionary: ZstdDictionary? = nil) -> [UInt8] {
        compressionContexts.withContext { cctx in
            ZSTD_CCtx_reset(cctx, ZSTD_reset_session_and_parameters)
            // A pooled context must not keep a reference to a dictionary that may be freed.
            defer { ZSTD_CCtx_refCDict(cctx, nil) }
            ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, min(max(level, levels.lowerBound), levels.upperBound))
            ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1)
            if let dictionary {
                ZSTD_CCtx_refCDict(cctx, dictionary.compressionDictionary(level: level))
            }
            let bound = ZSTD_compressBound(input.count)
            return [UInt8](unsafeUninitializedCapacity: bound) { output, count in
                let result = ZSTD_compress2(cctx, output.baseAddress, bound, input.baseAddress, input.count)
                // With a destination of compressBound bytes, compression cannot fail but for lack of memory.
                precondition(ZSTD_isError(result) == 0, "zstd compression failed: \(String(cString: ZSTD_getErrorName(result)))")
                count = result
            }
        }
    }

    /// Compresses `input` into one frame at `level`, with `dictionary` if given.
    public static func compress(_ input: [UInt8], level: Int32 = defaultLevel, dictionary: ZstdDictionary? = nil) -> [UInt8] {
        input.withUnsafeBytes { compress($0, level: level, dictionary: dictionary) }
    }

    /// The dictionary id a frame names, or nil when it was compressed without one (or is not a frame).
    public static func dictionaryID(ofFrame frame: UnsafeRawBufferPointer) -> UInt32? {
        let id = ZSTD_getDictID_fromFrame(frame.baseAddress, frame.count)
        return id == 0 ? nil : id
    }

    /// Decompresses one frame, refusing output larger than `maximumSize` bytes without producing it.
    ///
    /// - Throws: `ZstdError` `.corruptFrame`, `.truncatedFrame`, `.unknownDictionary` (the frame names a
    ///   dictionary `dictionaries` does not have) or `.outputTooLarge`.
    public static func decompress(_ frame: UnsafeRawBufferPointer, maximumSize: Int, dictionaries: (any ZstdDictionaryProvider)? = nil) throws -> [UInt8] {
        let dictionaryID = dictionaryID(ofFrame: frame)
        var dictionary: ZstdDictionary?
        if let dictionaryID {
            guard let found = dictionaries?.dictionary(id: dictionaryID) else {
                throw ZstdError(code: .unknownDictionary, detail: "", dictionaryID: dictionaryID)
            }
            dictionary = found
        }
        let declared = ZSTD_getFrameContentSize(frame.baseAddress, frame.count)
        if declared == ZSTD_CONTENTSIZE_ERROR {
            throw ZstdError(code: frame.count < 6 ? .truncatedFrame : .corruptFrame, detail: "no valid frame header in \(frame.count) bytes")
        }
        if declared == ZSTD_CONTENTSIZE_UNKNOWN {
            let stream = ZstdStreamDecompressor(maximumSize: maximumSize, dictionaries: dictionaries)
            var output = try stream.decompress(frame)
            output += try stream.finish()
            return output
        }
        guard declared <= UInt64(maximumSize) else {
            throw ZstdError(code: .outputTooLarge, detail: "frame declares \(declared) bytes; at most \(maximumSize) allowed")
        }
        let capacity = Int(declared)
        return try decompressionContexts.withContext { dctx throws in
            ZSTD_DCtx_reset(dctx, ZSTD_reset_session_and_parameters)
            var failure: ZstdError?
            let output = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, count in
                let result: Int = if let dictionary {
                    ZSTD_decompress_usingDDict(dctx, buffer.baseAddress, capacity, frame.baseAddress, frame.count, dictionary.decompressionDictionary)
                } else {
                    ZSTD_decompressDCtx(dctx, buffer.baseAddress, capacity, frame.baseAddress, frame.count)
                }
                if ZSTD_isError(result) != 0 {
                    var error = ZstdError.fromResult(result, dictionaryID: dictionaryID)
                    // More output than the header declared is a lie in the frame, not a bound exceeded.
                    if error.code == .outputTooLarge { error = ZstdError(code: .corruptFrame, detail: "frame holds more than the \(capacity) bytes it declares") }
                    failure = error
                    count = 0
                } else if result != capacity {
                    failure = ZstdError(code: .corruptFrame, detail: "frame declares \(capacity) bytes but holds \(result)")
                    count = 0
                } else {
                    count = result
                }
            }
            if let failure { throw failure }
            return output
        }
    }

    /// Decompresses one frame, refusing output larger than `maximumSize` bytes.
    public static func decompress(_ frame: [UInt8], maximumSize: Int, dictionaries: (any ZstdDictionaryProvider)? = nil) throws -> [UInt8] {
        try frame.withUnsafeBytes { raw throws in try decompress(raw, maximumSize: maximumSize, dictionaries: dictionaries) }
    }

    static let compressionContexts = ContextPool(create: { ZSTD_createCCtx() }, free: { ZSTD_freeCCtx($0) })
    static let decompressionContexts = ContextPool(create: { ZSTD_createDCtx() }, free: { ZSTD_freeDCtx($0) })
}

/// A small pool of zstd contexts, so that concurrent callers reuse them instead of allocating.
final class ContextPool: Sendable {
    private let idle = Mutex([UnsafeSendablePointer]())
    private let create: @Sendable () -> OpaquePointer?
    private let free: @Sendable (OpaquePointer) -> Void
    private let capacity = 16

    init(create: @escaping @Sendable () -> OpaquePointer?, free: @escaping @Sendable (OpaquePointer) -> Void) {
        self.create = create
        self.free = free
    }

    func withContext<R, E: Error>(_ body: (OpaquePointer) throws(E) -> R) throws(E) -> R {
        let pooled = idle.withLock { $0.popLast() }
        guard let context = pooled?.pointer ?? create() else { fatalError("zstd: out of memory creating a context") }
        defer {
            let kept = idle.withLock { contexts in
                guard contexts.count < capacity else { return false }
                contexts.append(UnsafeSendablePointer(pointer: context))
                return true
            }
            if !kept { free(context) }
        }
        return try body(context)
    }
}

/// A context handed between threads through the pool; only one thread uses it at a time.
struct UnsafeSendablePointer: @unchecked Sendable {
    let pointer: OpaquePointer
}
