internal import CLMDB
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An error from LMDB, or from this wrapper's use of it.
///
/// `code` is LMDB's result code (or the `errno` LMDB passed on, such as `ENOSPC`), so callers can react to
/// a full map or a full disk without parsing text. `operation` names the call that failed.
public struct LMDBError: Error, Hashable, CustomStringConvertible, Sendable {
    /// LMDB's result codes and the system errors it passes on, as named constants. A code this list does not
    /// name is still representable, so a new one never breaks a `switch`.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }

        /// The key/data pair already exists (`MDB_KEYEXIST`).
        public static let keyExists = Code(rawValue: MDB_KEYEXIST)
        /// No matching key/data pair (`MDB_NOTFOUND`).
        public static let notFound = Code(rawValue: MDB_NOTFOUND)
        /// A page has not the expected type: the file is corrupt (`MDB_CORRUPTED`).
        public static let corrupted = Code(rawValue: MDB_CORRUPTED)
        /// A fatal error; the environment must be reopened (`MDB_PANIC`).
        public static let panic = Code(rawValue: MDB_PANIC)
        /// The file was written by an incompatible LMDB version (`MDB_VERSION_MISMATCH`).
        public static let versionMismatch = Code(rawValue: MDB_VERSION_MISMATCH)
        /// The file is not an LMDB file (`MDB_INVALID`).
        public static let invalid = Code(rawValue: MDB_INVALID)
        /// The map has reached its size, and the configured maximum forbids growing it (`MDB_MAP_FULL`).
        public static let mapFull = Code(rawValue: MDB_MAP_FULL)
        /// Too many named databases (`MDB_DBS_FULL`).
        public static let databasesFull = Code(rawValue: MDB_DBS_FULL)
        /// Every reader slot is taken (`MDB_READERS_FULL`).
        public static let readersFull = Code(rawValue: MDB_READERS_FULL)
        /// The transaction has too many dirty pages (`MDB_TXN_FULL`).
        public static let transactionFull = Code(rawValue: MDB_TXN_FULL)
        /// Another process grew the map (`MDB_MAP_RESIZED`); handled inside the wrapper.
        public static let mapResized = Code(rawValue: MDB_MAP_RESIZED)
        /// The database was opened with incompatible flags (`MDB_INCOMPATIBLE`).
        public static let incompatible = Code(rawValue: MDB_INCOMPATIBLE)
        /// The transaction must be aborted after an earlier error (`MDB_BAD_TXN`).
        public static let badTransaction = Code(rawValue: MDB_BAD_TXN)
        /// A key or value has an unsupported size (`MDB_BAD_VALSIZE`).
        public static let badValueSize = Code(rawValue: MDB_BAD_VALSIZE)
        /// The disk is full (`ENOSPC`).
        public static let diskFull = Code(rawValue: ENOSPC)
        /// A file grew past the process's file-size limit (`EFBIG`).
        public static let fileTooLarge = Code(rawValue: EFBIG)
        /// An input/output error from the disk (`EIO`).
        public static let ioError = Code(rawValue: EIO)
        /// Permission denied (`EACCES`).
        public static let permissionDenied = Code(rawValue: EACCES)
        /// The environment or a transaction was used after it was closed (wrapper-level).
        public static let closed = Code(rawValue: -40_001)
        /// An argument was out of bounds, such as an empty key or a key over 511 bytes (wrapper-level).
        public static let invalidArgument = Code(rawValue: -40_002)

        public var description: String {
            String(cString: mdb_strerror(rawValue)) + " (\(rawValue))"
        }
    }

    /// What went wrong.
    public let code: Code
    /// The call that failed, such as `mdb_put`.
    public let operation: String
    /// More detail where there is any (a database name, a size).
    public let detail: String

    /// An error with `code`, raised by `operation`.
    public init(code: Code, operation: String, detail: String = "") {
        self.code = code
        self.operation = operation
        self.detail = detail
    }

    public var description: String {
        let message: String = switch code {
        case .closed: "used after close"
        case .invalidArgument: "invalid argument"
        default: String(cString: mdb_strerror(code.rawValue))
        }
        return "LMDB \(operation): \(message) (code \(code.rawValue))" + (detail.isEmpty ? "" : " — \(detail)")
    }
}

/// Throws an `LMDBError` for a non-zero LMDB result.
@inline(__always)
func check(_ result: Int32, _ operation: @autoclosure () -> String, detail: @autoclosure () -> String = "") throws {
    if result != 0 {
        throw LMDBError(code: .init(rawValue: result), operation: operation(), detail: detail())
    }
}
