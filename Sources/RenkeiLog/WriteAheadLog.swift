import Foundation
import RenkeiCrypto
import RenkeiLMDB
import RenkeiModel
import RenkeiStore

/// A group's record, built and hashed, waiting to be written.
struct PreparedRecord: Sendable {
    /// File offsets and the bytes to write there, in order.
    let writes: [(offset: UInt64, bytes: [UInt8])]
    /// The log's end after the record.
    let end: WALPosition
}

/// A position in the write-ahead log: bytes since the log began (the file is reused in a circle, so the
/// file offset is this modulo its size), and the hash of the record that ends there (each record names
/// the hash of the one before it).
struct WALPosition: Sendable, Equatable {
    var offset: UInt64
    var hash: SHA256Digest

    static let start = WALPosition(offset: 0, hash: SHA256Digest(bytes: [UInt8](repeating: 0, count: 32))!)
}

/// What LMDB holds of the write-ahead log, recorded in `meta` under `wal` by each checkpoint's own
/// commit: every group up to `group`, and the log read up to `position`.
struct WALCheckpoint: Sendable, Equatable {
    var position: WALPosition
    var group: UInt64

    static let key = Array("wal".utf8)
    static let none = WALCheckpoint(position: .start, group: 0)

    static func read(_ txn: Transaction, _ store: LogStore) throws -> WALCheckpoint {
        guard let bytes = try txn.get(store.meta, key: key) else { return .none }
        guard bytes.count == 48 else { throw StoreError(.corrupt, "the store's write-ahead log record is \(bytes.count) bytes, not 48") }
        return bytes.withUnsafeBytes { raw in
            WALCheckpoint(
                position: WALPosition(offset: UInt64(bigEndian: raw.loadUnaligned(as: UInt64.self)), hash: SHA256Digest(loadingFrom: UnsafeRawBufferPointer(rebasing: raw[16..<48]))),
                group: UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            )
        }
    }

    func write(_ txn: WriteTransaction, _ store: LogStore) throws {
        var bytes = [UInt8]()
        bytes.reserveCapacity(48)
        withUnsafeBytes(of: position.offset.bigEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: group.bigEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: position.hash.bytes)
        try txn.put(store.meta, key: Self.key, value: bytes)
    }
}

/// The write-ahead log: one preallocated, zero-filled file written in a circle. Each group commit's
/// changes are one record, written at a 4 KiB boundary after the last and made durable with one
/// `fdatasync` (the file never grows, so the sync carries no metadata) before any caller hears of it.
///
/// ```
/// record (at a multiple of 4096):
///   0   "RNKW"            4   kind (1: group, 2: wrap to the file's start)   5   format (1)
///   8   offset (the record's log position, 8, big-endian)   16  group number (8)
///   24  payload length (4)   32  previous record's hash (32)
///   64  hash: SHA-256 of bytes 0..<64 and the payload (32)   96  payload
/// ```
/// Recovery reads records from the position LMDB holds and stops at the first that is not whole and
/// next in line — wrong magic, offset, predecessor or group, or a hash that does not match (a torn
/// write, a flipped byte, a record from the file's previous lap). So a damaged group is never applied,
/// and a whole one after it cannot be reached. A new record's bytes start on a 4 KiB boundary past the
/// last synced record, so writing it never rewrites a block an acknowledged record lives in, whatever
/// order the disk persists the blocks in.
final class WriteAheadLog: @unchecked Sendable {
    static let fileName = "wal"
    static let headerSize = 96
    static let alignment: UInt64 = 4096
    static let magic: [UInt8] = Array("RNKW".utf8)
    static let format: UInt8 = 1

    enum Kind: UInt8 { case group = 1, wrap = 2 }

    let path: String
    /// The file's size: the most log bytes not yet checkpointed.
    let capacity: UInt64
    private let descriptor: Int32

    /// Opens the log in `folder`, creating it zero-filled with `capacity` bytes when it is missing.
    init(folder: String, capacity: UInt64, create: Bool) throws {
        path = folder + "/" + Self.fileName
        var status = stat()
        if stat(path, &status) != 0 {
            guard create else { throw StoreError(.missingData, "\(path) is missing: the store's acknowledged writes not yet in data.mdb were in it; restore the folder from a backup") }
            try Self.createZeroFilled(folder: folder, capacity: capacity)
            self.capacity = capacity
        } else {
            let size = UInt64(status.st_size)
            guard size >= Self.alignment * 4, size % Self.alignment == 0 else {
                throw StoreError(.corrupt, "\(path) is \(size) bytes: not a write-ahead log (a multiple of 4096, at least 16384)")
            }
            self.capacity = size
        }
        descriptor = open(path, O_RDWR | O_CLOEXEC)
        guard descriptor >= 0 else { throw StoreError(.ioFailure, "open \(path): \(String(cString: strerror(errno)))") }
    }

    deinit { close(descriptor) }

    /// Writes `capacity` zero bytes to a new file, syncs it, and renames it into place (then syncs the folder).
    static func createZeroFilled(folder: String, capacity: UInt64) throws {
        guard capacity >= alignment * 4, capacity % alignment == 0 else {
            throw StoreError(.invalidArgument, "a write-ahead log of \(capacity) bytes: a multiple of 4096, at least 16384")
        }
        let temporary = folder + "/" + fileName + ".new"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StoreError(.ioFailure, "create \(temporary): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let chunk = [UInt8](repeating: 0, count: 1 << 20)
        var written: UInt64 = 0
        while written < capacity {
            let count = Int(min(UInt64(chunk.count), capacity - written))
            try chunk.withUnsafeBytes { try writeFully(fd, UnsafeRawBufferPointer(rebasing: $0[..<count]), at: written, path: temporary) }
            written += UInt64(count)
        }
        guard fsync(fd) == 0 else { throw StoreError(.ioFailure, "fsync \(temporary): \(String(cString: strerror(errno)))") }
        guard rename(temporary, folder + "/" + fileName) == 0 else { throw StoreError(.ioFailure, "rename \(temporary): \(String(cString: strerror(errno)))") }
        try syncFolder(folder)
    }

    static func recordSize(_ payloadCount: Int) -> UInt64 {
        (UInt64(headerSize + payloadCount) + alignment - 1) / alignment * alignment
    }

    /// The largest payload a record may carry.
    var maximumPayload: Int { Int(capacity / 4) - Self.headerSize }

    /// Group `group`'s record, to be written after `position`: the bytes to write where (a wrap record
    /// first when the group does not fit before the file's end), and the log's end after it.
    func prepare(_ payload: [UInt8], group: UInt64, after position: WALPosition) -> PreparedRecord {
        var start = position
        var writes: [(offset: UInt64, bytes: [UInt8])] = []
        if position.offset % capacity + Self.recordSize(payload.count) > capacity {
            let wrap = Self.record(.wrap, offset: position.offset, group: group, previous: position.hash, payload: [])
            writes.append((position.offset % capacity, wrap.bytes))
            start = WALPosition(offset: (position.offset / capacity + 1) * capacity, hash: wrap.hash)
        }
        let record = Self.record(.group, offset: start.offset, group: group, previous: start.hash, payload: payload)
        writes.append((start.offset % capacity, record.bytes))
        return PreparedRecord(writes: writes, end: WALPosition(offset: start.offset + Self.recordSize(payload.count), hash: record.hash))
    }

    /// Writes a prepared record and syncs. The caller has made sure the space is free.
    func write(_ record: PreparedRecord) throws {
        for (offset, bytes) in record.writes {
            try bytes.withUnsafeBytes { try Self.writeFully(descriptor, $0, at: offset, path: path) }
        }
        guard fdatasync(descriptor) == 0 else {
            throw StoreError(.ioFailure, "fdatasync \(path): \(String(cString: strerror(errno)))")
        }
    }

    static func record(_ kind: Kind, offset: UInt64, group: UInt64, previous: SHA256Digest, payload: [UInt8]) -> (bytes: [UInt8], hash: SHA256Digest) {
        var bytes = magic
        bytes.reserveCapacity(headerSize + payload.count)
        bytes.append(kind.rawValue)
        bytes.append(format)
        bytes.append(contentsOf: [0, 0])
        withUnsafeBytes(of: offset.bigEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: group.bigEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(payload.count).bigEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [0, 0, 0, 0])
        bytes.append(contentsOf: previous.bytes)
        var hasher = SHA256()
        hasher.update(bytes)
        hasher.update(payload)
        let hash = hasher.finalize()
        bytes.append(contentsOf: hash.bytes)
        bytes.append(contentsOf: payload)
        return (bytes, hash)
    }

    /// Reads the whole records after `position` that continue the chain (group numbers above `group`), in
    /// order, calling `body` with each group's number, payload and end; returns where the chain stops, or
    /// where it paused once the payloads read reached `maximumBytes`.
    func scan(from position: WALPosition, after group: UInt64, maximumBytes: Int = .max,
              _ body: (UInt64, [UInt8], WALPosition) throws -> Void) throws -> (end: WALPosition, group: UInt64) {
        var position = position
        var lastGroup = group
        var bytes = 0
        var header = [UInt8](repeating: 0, count: Self.headerSize)
        while true {
            let inFile = position.offset % capacity
            guard inFile + UInt64(Self.headerSize) <= capacity, try readFully(&header, at: inFile) else { break }
            let fields = header.withUnsafeBytes { raw in
                (offset: UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)),
                 group: UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self)),
                 length: Int(UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: 24, as: UInt32.self))),
                 previous: SHA256Digest(loadingFrom: UnsafeRawBufferPointer(rebasing: raw[32..<64])),
                 hash: SHA256Digest(loadingFrom: UnsafeRawBufferPointer(rebasing: raw[64..<96])))
            }
            guard Array(header[0..<4]) == Self.magic, header[5] == Self.format, let kind = Kind(rawValue: header[4]),
                  fields.offset == position.offset, fields.previous == position.hash,
                  UInt64(Self.headerSize + fields.length) <= capacity - inFile,
                  kind == .wrap ? fields.length == 0 : fields.group > lastGroup else { break }
            var payload = [UInt8](repeating: 0, count: fields.length)
            guard try readFully(&payload, at: inFile + UInt64(Self.headerSize)) else { break }
            var hasher = SHA256()
            header.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<64])) }
            hasher.update(payload)
            guard hasher.finalize() == fields.hash else { break }
            switch kind {
            case .wrap:
                position = WALPosition(offset: (position.offset / capacity + 1) * capacity, hash: fields.hash)
            case .group:
                let end = WALPosition(offset: position.offset + Self.recordSize(fields.length), hash: fields.hash)
                try body(fields.group, payload, end)
                position = end
                lastGroup = fields.group
                bytes += payload.count
                if bytes >= maximumBytes { return (position, lastGroup) }
            }
        }
        return (position, lastGroup)
    }

    private func readFully(_ buffer: inout [UInt8], at offset: UInt64) throws -> Bool {
        try buffer.withUnsafeMutableBytes { raw in
            var done = 0
            while done < raw.count {
                let count = pread(descriptor, raw.baseAddress! + done, raw.count - done, off_t(offset) + off_t(done))
                if count < 0 && errno == EINTR { continue }
                guard count >= 0 else { throw StoreError(.ioFailure, "read \(path): \(String(cString: strerror(errno)))") }
                if count == 0 { return false }
                done += count
            }
            return true
        }
    }

    static func writeFully(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: UInt64, path: String) throws {
        var done = 0
        while done < bytes.count {
            let count = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                let code = errno
                throw StoreError(code == ENOSPC ? .storageFull : .ioFailure, "write \(path): \(String(cString: strerror(code)))")
            }
            done += count
        }
    }
}

/// Syncs a folder, so that a file created or renamed in it survives a power cut.
func syncFolder(_ folder: String) throws {
    let fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard fd >= 0 else { throw StoreError(.ioFailure, "open \(folder): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    guard fsync(fd) == 0 else { throw StoreError(.ioFailure, "fsync \(folder): \(String(cString: strerror(errno)))") }
}

/// The payload of a group record: every table the group changed, by name, with its final values.
///
/// ```
/// tables (2) · per table: name length (1), name, cleared (1), entries (4),
///              per entry: key length (2), key, value length (4; 0xFFFFFFFF: deleted), value
/// ```
enum GroupPayload {
    static func encode(_ tables: [UInt32: TableChanges], names: (UInt32) -> String) -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(tables.values.reduce(16) { $0 + $1.bytes })
        append(UInt16(tables.count), to: &bytes)
        for (id, table) in tables {
            let name = Array(names(id).utf8)
            bytes.append(UInt8(name.count))
            bytes.append(contentsOf: name)
            bytes.append(table.cleared ? 1 : 0)
            append(UInt32(table.values.count), to: &bytes)
            for (key, value) in table.values {
                append(UInt16(key.bytes.count), to: &bytes)
                bytes.append(contentsOf: key.bytes)
                if let value {
                    append(UInt32(value.count), to: &bytes)
                    bytes.append(contentsOf: value)
                } else {
                    append(UInt32.max, to: &bytes)
                }
            }
        }
        return bytes
    }

    static func decode(_ bytes: [UInt8]) throws -> [(name: String, changes: TableChanges)] {
        var reader = ByteReader(bytes: bytes)
        var tables: [(String, TableChanges)] = []
        let count = try reader.integer(UInt16.self)
        for _ in 0..<count {
            let nameLength = Int(try reader.integer(UInt8.self))
            guard let name = String(validating: try reader.bytes(nameLength), as: UTF8.self) else { throw ByteReader.damaged }
            var changes = TableChanges(cleared: try reader.integer(UInt8.self) == 1)
            let entries = try reader.integer(UInt32.self)
            for _ in 0..<entries {
                let key = StoreKey(try reader.bytes(Int(try reader.integer(UInt16.self))))
                let length = try reader.integer(UInt32.self)
                changes.values[key] = length == .max ? .some(nil) : .some(try reader.bytes(Int(length)))
            }
            tables.append((name, changes))
        }
        guard reader.isAtEnd else { throw ByteReader.damaged }
        return tables
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }
}

/// Reads big-endian integers and byte runs, refusing to run past the end.
struct ByteReader {
    static let damaged = StoreError(.corrupt, "a write-ahead log record whose hash matches does not parse")
    let bytes: [UInt8]
    var position = 0

    var isAtEnd: Bool { position == bytes.count }

    mutating func bytes(_ count: Int) throws -> [UInt8] {
        guard count >= 0, count <= bytes.count - position else { throw Self.damaged }
        defer { position += count }
        return Array(bytes[position ..< position + count])
    }

    mutating func integer<T: FixedWidthInteger>(_: T.Type) throws -> T {
        let raw = try bytes(MemoryLayout<T>.size)
        return raw.reduce(T(0)) { $0 << 8 | T($1) }
    }
}
