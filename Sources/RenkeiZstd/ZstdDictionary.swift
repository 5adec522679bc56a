internal import CZstd
import Synchronization

/// A zstd dictionary: trained from samples of one kind of file, it lets small files (a few KiB) compress
/// several times better than alone. Frames compressed with it record its `id`; decompressing them needs it.
///
/// Immutable and `Sendable`; the digested forms zstd uses (one per compression level, one for
/// decompression) are built once and shared.
public final class ZstdDictionary: @unchecked Sendable {
    /// The dictionary's id, as written in its header and in every frame compressed with it (never 0).
    public let id: UInt32
    /// The dictionary's bytes, to store and load again.
    public let bytes: [UInt8]

    let decompressionDictionary: OpaquePointer
    private let compressionDictionaries = Mutex([Int32: OpaquePointer]())

    /// The largest dictionary accepted.
    public static let maximumSize = 4 << 20

    /// Loads a dictionary from its bytes (as `bytes` gave them).
    public init(bytes: [UInt8]) throws {
        guard bytes.count <= Self.maximumSize else {
            throw ZstdError(code: .inputTooLarge, detail: "dictionary of \(bytes.count) bytes (at most \(Self.maximumSize))")
        }
        let id = bytes.withUnsafeBytes { ZDICT_getDictID($0.baseAddress, $0.count) }
        guard id != 0 else { throw ZstdError(code: .invalidDictionary, detail: "\(bytes.count) bytes without a dictionary header") }
        guard let ddict = bytes.withUnsafeBytes({ ZSTD_createDDict($0.baseAddress, $0.count) }) else {
            throw ZstdError(code: .invalidDictionary, detail: "zstd refused the dictionary")
        }
        self.id = id
        self.bytes = bytes
        self.decompressionDictionary = ddict
    }

    deinit {
        ZSTD_freeDDict(decompressionDictionary)
        compressionDictionaries.withLock { for cdict in $0.values { ZSTD_freeCDict(cdict) } }
    }

    /// The digested dictionary for compressing at `level`, built on first use.
    func compressionDictionary(level: Int32) -> OpaquePointer {
        compressionDictionaries.withLock { cache in
            if let cdict = cache[level] { return cdict }
            let cdict = bytes.withUnsafeBytes { ZSTD_createCDict($0.baseAddress, $0.count, level) }
            guard let cdict else { fatalError("zstd could not digest dictionary \(id) (out of memory)") }
            cache[level] = cdict
            return cdict
        }
    }

    /// Trains a dictionary of at most `capacity` bytes from `samples` (typically hundreds of files of one
    /// kind). Fails with `.dictionaryTraining` when the samples are too few or too small to learn from.
    public static func train(samples: [[UInt8]], capacity: Int = 64 << 10) throws -> ZstdDictionary {
        guard capacity >= 1024, capacity <= maximumSize else {
            throw ZstdError(code: .dictionaryTraining, detail: "capacity \(capacity) outside 1 KiB … 4 MiB")
        }
        let joined = samples.flatMap { $0 }
        guard joined.count < Int(UInt32.max) else {
            throw ZstdError(code: .inputTooLarge, detail: "\(joined.count) bytes of samples")
        }
        let sizes = samples.map { $0.count }
        var dictionary = [UInt8](repeating: 0, count: capacity)
        let result = dictionary.withUnsafeMutableBytes { out in
            joined.withUnsafeBytes { input in
                sizes.withUnsafeBufferPointer { sizes in
                    ZDICT_trainFromBuffer(out.baseAddress, out.count, input.baseAddress, sizes.baseAddress, UInt32(sizes.count))
                }
            }
        }
        if ZDICT_isError(result) != 0 {
            throw ZstdError(code: .dictionaryTraining, detail: String(cString: ZDICT_getErrorName(result)) + " (\(samples.count) samples, \(joined.count) bytes)")
        }
        dictionary.removeLast(dictionary.count - result)
        return try ZstdDictionary(bytes: dictionary)
    }
}

/// Finds dictionaries by id when decompressing.
public protocol ZstdDictionaryProvider {
    /// The dictionary with `id`, or nil when there is none.
    func dictionary(id: UInt32) -> ZstdDictionary?
}

/// A fixed set of dictionaries, by id.
public struct ZstdDictionarySet: ZstdDictionaryProvider, Sendable {
    private var byID: [UInt32: ZstdDictionary]
    /// The set of `dictionaries`.
    public init(_ dictionaries: [ZstdDictionary] = []) {
        byID = Dictionary(dictionaries.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }
    /// Adds (or replaces) a dictionary.
    public mutating func insert(_ dictionary: ZstdDictionary) { byID[dictionary.id] = dictionary }
    public func dictionary(id: UInt32) -> ZstdDictionary? { byID[id] }
}
