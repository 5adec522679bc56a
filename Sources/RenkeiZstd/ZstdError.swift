internal import CZstd

/// An error from zstd: a corrupt or truncated frame, a frame that needs a dictionary nobody has, output
/// larger than the caller allows (a decompression bomb), or a dictionary that cannot be trained or loaded.
public struct ZstdError: Error, Hashable, CustomStringConvertible, Sendable {
    /// What went wrong, as a stable code. A code this list does not name is still representable.
    public struct Code: RawRepresentable, Hashable, Sendable {
        public var rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }

        /// The bytes are not a valid zstd frame, or fail its checksum.
        public static let corruptFrame = Code(rawValue: 1)
        /// The frame ends before its last block.
        public static let truncatedFrame = Code(rawValue: 2)
        /// The frame was compressed with a dictionary that is not available (see `dictionaryID`).
        public static let unknownDictionary = Code(rawValue: 3)
        /// Decompressing would produce more bytes than the caller's bound.
        public static let outputTooLarge = Code(rawValue: 4)
        /// Training a dictionary failed (usually: too few or too small samples).
        public static let dictionaryTraining = Code(rawValue: 5)
        /// The bytes are not a zstd dictionary.
        public static let invalidDictionary = Code(rawValue: 6)
        /// An input exceeds a size the caller or zstd allows.
        public static let inputTooLarge = Code(rawValue: 7)
        /// Any other failure inside zstd (see `detail`).
        public static let library = Code(rawValue: 99)
    }

    /// What went wrong.
    public let code: Code
    /// zstd's own message, or a size.
    public let detail: String
    /// The dictionary a frame asked for, for `.unknownDictionary`.
    public let dictionaryID: UInt32?

    /// An error with `code`.
    public init(code: Code, detail: String, dictionaryID: UInt32? = nil) {
        self.code = code
        self.detail = detail
        self.dictionaryID = dictionaryID
    }

    public var description: String {
        let what: String = switch code {
        case .corruptFrame: "corrupt zstd frame"
        case .truncatedFrame: "truncated zstd frame"
        case .unknownDictionary: "frame needs zstd dictionary \(dictionaryID.map(String.init) ?? "?"), which is not available"
        case .outputTooLarge: "decompressed size exceeds the allowed bound"
        case .dictionaryTraining: "zstd dictionary training failed"
        case .invalidDictionary: "not a zstd dictionary"
        case .inputTooLarge: "input too large"
        default: "zstd error"
        }
        return detail.isEmpty ? what : "\(what): \(detail)"
    }

    /// The error for a zstd result that `ZSTD_isError` flags.
    static func fromResult(_ result: Int, dictionaryID: UInt32? = nil) -> ZstdError {
        let name = String(cString: ZSTD_getErrorName(result))
        let code: Code = switch ZSTD_getErrorCode(result) {
        case ZSTD_error_dictionary_wrong: .unknownDictionary
        case ZSTD_error_dstSize_tooSmall: .outputTooLarge
        case ZSTD_error_srcSize_wrong: .truncatedFrame
        case ZSTD_error_prefix_unknown, ZSTD_error_corruption_detected, ZSTD_error_checksum_wrong,
             ZSTD_error_literals_headerWrong, ZSTD_error_frameParameter_unsupported,
             ZSTD_error_frameParameter_windowTooLarge, ZSTD_error_version_unsupported:
            .corruptFrame
        case ZSTD_error_dictionary_corrupted: .invalidDictionary
        default: .library
        }
        return ZstdError(code: code, detail: name, dictionaryID: dictionaryID)
    }
}

/// Throws for a zstd result that is an error code; returns it otherwise.
@inline(__always)
@discardableResult
func checkZstd(_ result: Int, dictionaryID: UInt32? = nil) throws -> Int {
    if ZSTD_isError(result) != 0 { throw ZstdError.fromResult(result, dictionaryID: dictionaryID) }
    return result
}
