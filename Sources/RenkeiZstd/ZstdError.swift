internal import CZstd

/// An error from zstd: a corrupt or truncated frame, a frame that needs a dictionary nobody has, output
/// larger than the caller allows (a decompression bomb), or a dictionary that cannot be trained or loaded.
///
/// Switch on ``code``; compare codes, not details. RenkeiZstd's codes are 600–699, so that a number names
/// one error across the store: `CryptoError` uses 100–499, the store's own errors 500–599 and
/// `MerkleError` 700–799.
public struct ZstdError: Error, Hashable, CustomStringConvertible, Sendable {
    /// What went wrong, as a stable number in 600–699. A code this list does not name is still
    /// representable; codes are never reused or renumbered.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The number.
        public var rawValue: Int
        /// The code `rawValue`.
        public init(rawValue: Int) { self.rawValue = rawValue }

        /// The bytes are not a valid zstd frame, or fail its checksum.
        public static let corruptFrame = Code(rawValue: 601)
        /// The frame ends before its last block.
        public static let truncatedFrame = Code(rawValue: 602)
        /// The frame was compressed with a dictionary that is not available (see `dictionaryID`).
        public static let unknownDictionary = Code(rawValue: 603)
        /// Decompressing would produce more bytes than the caller's bound.
        public static let outputTooLarge = Code(rawValue: 604)
        /// Training a dictionary failed (usually: too few or too small samples).
        public static let dictionaryTraining = Code(rawValue: 605)
        /// The bytes are not a zstd dictionary.
        public static let invalidDictionary = Code(rawValue: 606)
        /// An input exceeds a size the caller or zstd allows.
        public static let inputTooLarge = Code(rawValue: 607)
        /// Any other failure inside zstd (see `detail`).
        public static let library = Code(rawValue: 699)

        /// The constant's name, or "code N" for a number this list does not name.
        public var description: String {
            Self.names[rawValue] ?? "code \(rawValue)"
        }

        private static let names: [Int: String] = [
            601: "corruptFrame", 602: "truncatedFrame", 603: "unknownDictionary", 604: "outputTooLarge",
            605: "dictionaryTraining", 606: "invalidDictionary", 607: "inputTooLarge", 699: "library",
        ]
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

    /// "zstd error 601 (corruptFrame): corrupt zstd frame: " and the detail.
    public var description: String {
        let what: String = switch code {
        case .corruptFrame: "corrupt zstd frame"
        case .truncatedFrame: "truncated zstd frame"
        case .unknownDictionary: "frame needs zstd dictionary \(dictionaryID.map(String.init) ?? "?"), which is not available"
        case .outputTooLarge: "decompressed size exceeds the allowed bound"
        case .dictionaryTraining: "zstd dictionary training failed"
        case .invalidDictionary: "not a zstd dictionary"
        case .inputTooLarge: "input too large"
        default: "zstd failure"
        }
        let text = "zstd error \(code.rawValue) (\(code)): \(what)"
        return detail.isEmpty ? text : "\(text): \(detail)"
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
