internal import CZstd

/// Compresses a large input piece by piece into one frame, without holding all of it.
///
/// Feed chunks to `compress`, then call `finish` once; concatenate what they return.
/// Not thread-safe: one stream is used by one task at a time.
public final class ZstdStreamCompressor {
    private let context: OpaquePointer
    private let dictionary: ZstdDictionary? // kept alive: the context refers to its digested form
    private var finished = false

    /// A stream at `level`, with `dictionary` if given; `pledgedSize` (if known) is written in the header.
    public init(level: Int32 = Zstd.defaultLevel, dictionary: ZstdDictionary? = nil, pledgedSize: UInt64? = nil) {
        guard let context = ZSTD_createCCtx() else { fatalError("zstd: out of memory creating a context") }
        self.context = context
        self.dictionary = dictionary
        ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level)
        ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1)
        if let dictionary { ZSTD_CCtx_refCDict(context, dictionary.compressionDictionary(level: level)) }
        if let pledgedSize { ZSTD_CCtx_setPledgedSrcSize(context, pledgedSize) }
    }

    deinit { ZSTD_freeCCtx(context) }

    /// Compresses `chunk`, returning whatever compressed bytes are ready (possibly none).
    public func compress(_ chunk: UnsafeRawBufferPointer) throws -> [UInt8] {
        try run(chunk, directive: ZSTD_e_continue)
    }

    /// Compresses `chunk`, returning whatever compressed bytes are ready (possibly none).
    public func compress(_ chunk: [UInt8]) throws -> [UInt8] {
        try chunk.withUnsafeBytes { raw throws in try compress(raw) }
    }

    /// Ends the frame and returns its last bytes.
    public func finish() throws -> [UInt8] {
        defer { finished = true }
        return try run(UnsafeRawBufferPointer(start: nil, count: 0), directive: ZSTD_e_end)
    }

    private func run(_ chunk: UnsafeRawBufferPointer, directive: ZSTD_EndDirective) throws -> [UInt8] {
        guard !finished else { throw ZstdError(code: .library, detail: "stream already finished") }
        var output = [UInt8]()
        var input = ZSTD_inBuffer(src: chunk.baseAddress, size: chunk.count, pos: 0)
        let step = ZSTD_CStreamOutSize()
        var buffer = [UInt8](repeating: 0, count: step)
        while true {
            let (remaining, produced) = try buffer.withUnsafeMutableBytes { raw throws -> (Int, Int) in
                var out = ZSTD_outBuffer(dst: raw.baseAddress, size: raw.count, pos: 0)
                let remaining = try checkZstd(ZSTD_compressStream2(context, &out, &input, directive))
                return (remaining, out.pos)
            }
            output.append(contentsOf: buffer[..<produced])
            let done = directive == ZSTD_e_end ? remaining == 0 : input.pos == input.size
            if done { return output }
        }
    }
}

/// Decompresses one frame piece by piece, refusing to produce more than a bound in total.
///
/// Feed compressed chunks to `decompress` and call `finish` at the end; `finish` fails with
/// `.truncatedFrame` if the frame was not complete. Not thread-safe.
public final class ZstdStreamDecompressor {
    private let context: OpaquePointer
    private let maximumSize: Int
    private let dictionaries: (any ZstdDictionaryProvider)?
    private var dictionary: ZstdDictionary? // kept alive: the context refers to its digested form
    private var produced = 0
    private var frameComplete = false
    private var sawInput = false
    private var dictionaryChecked = false

    /// A stream producing at most `maximumSize` bytes, finding dictionaries in `dictionaries`.
    public init(maximumSize: Int, dictionaries: (any ZstdDictionaryProvider)? = nil) {
        guard let context = ZSTD_createDCtx() else { fatalError("zstd: out of memory creating a context") }
        self.context = context
        self.maximumSize = maximumSize
        self.dictionaries = dictionaries
        // Refuse frames whose window would need more than 128 MiB of memory.
        ZSTD_DCtx_setParameter(context, ZSTD_d_windowLogMax, 27)
    }

    deinit { ZSTD_freeDCtx(context) }

    /// Decompresses `chunk`, returning the bytes it yields.
    public func decompress(_ chunk: UnsafeRawBufferPointer) throws -> [UInt8] {
        if !dictionaryChecked, chunk.count > 0 {
            dictionaryChecked = true
            if let id = Zstd.dictionaryID(ofFrame: chunk) {
                guard let dictionary = dictionaries?.dictionary(id: id) else {
                    throw ZstdError(code: .unknownDictionary, detail: "", dictionaryID: id)
                }
                self.dictionary = dictionary
                ZSTD_DCtx_refDDict(context, dictionary.decompressionDictionary)
            }
        }
        sawInput = sawInput || chunk.count > 0
        var output = [UInt8]()
        var input = ZSTD_inBuffer(src: chunk.baseAddress, size: chunk.count, pos: 0)
        let step = ZSTD_DStreamOutSize()
        var buffer = [UInt8](repeating: 0, count: step)
        var count = 0
        repeat {
            let hint: Int
            (hint, count) = try buffer.withUnsafeMutableBytes { raw throws -> (Int, Int) in
                var out = ZSTD_outBuffer(dst: raw.baseAddress, size: raw.count, pos: 0)
                let hint = try checkZstd(ZSTD_decompressStream(context, &out, &input))
                return (hint, out.pos)
            }
            produced += count
            guard produced <= maximumSize else {
                throw ZstdError(code: .outputTooLarge, detail: "more than \(maximumSize) bytes")
            }
            output.append(contentsOf: buffer[..<count])
            if hint == 0 {
                frameComplete = true
                guard input.pos == input.size else { throw ZstdError(code: .corruptFrame, detail: "bytes after the end of the frame") }
                break
            }
        } while input.pos < input.size || count == step
        return output
    }

    /// Decompresses `chunk`, returning the bytes it yields.
    public func decompress(_ chunk: [UInt8]) throws -> [UInt8] {
        try chunk.withUnsafeBytes { raw throws in try decompress(raw) }
    }

    /// Confirms that the frame ended; returns any last bytes.
    public func finish() throws -> [UInt8] {
        guard frameComplete else {
            throw ZstdError(code: sawInput ? .truncatedFrame : .corruptFrame, detail: sawInput ? "the frame did not end" : "no input")
        }
        return []
    }
}
