import Foundation
import RenkeiModel
import RenkeiStore

/// The store's identity file, `store-identity` in the data folder, beside (not inside) the data file:
/// written and synced when the store is created, and rewritten (atomically, synced) as the log grows. It
/// lets an open tell a store that exists from a new one: a data file that came back empty or shorter
/// than recorded (a power cut that took unsynced writes, an operator's mistake, an old copy) is refused
/// instead of being opened as a fresh or older log.
///
/// ```
/// renkei-store 1
/// id 5f0c…
/// created 1764400000000000
/// engine lmdb
/// format 2
/// events-at-least 1234
/// ```
struct StoreMarker: Hashable {
    static let fileName = "store-identity"

    var identity: StoreIdentity
    /// The log held at least this many events when the marker was written.
    var eventsAtLeast: UInt64

    static func read(folder: String) throws -> StoreMarker? {
        let path = folder + "/" + fileName
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw StoreError(.corrupt, "\(path) cannot be read")
        }
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
        }
        guard fields["renkei-store"] == "1", let id = fields["id"], let created = fields["created"].flatMap({ Int64($0) }),
              let engine = fields["engine"], let format = fields["format"].flatMap({ Int($0) }),
              let events = fields["events-at-least"].flatMap({ UInt64($0) }) else {
            throw StoreError(.corrupt, "\(path) is not a store identity file")
        }
        return StoreMarker(identity: StoreIdentity(id: id, created: Timestamp(rawValue: created), engine: engine, format: format), eventsAtLeast: events)
    }

    /// Writes the marker to a temporary file, syncs it, renames it into place and syncs the folder.
    func write(folder: String) throws {
        let text = """
        renkei-store 1
        id \(identity.id)
        created \(identity.created.rawValue)
        engine \(identity.engine)
        format \(identity.format)
        events-at-least \(eventsAtLeast)

        """
        let path = folder + "/" + Self.fileName
        let temporary = path + ".tmp"
        try Self.durably(folder) {
            let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            guard fd >= 0 else { return false }
            defer { close(fd) }
            let bytes = Array(text.utf8)
            let written = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
            guard written == bytes.count, fsync(fd) == 0 else { return false }
            return rename(temporary, path) == 0
        }
        try Self.durably(folder) {
            let directory = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard directory >= 0 else { return false }
            defer { close(directory) }
            return fsync(directory) == 0
        }
    }

    private static func durably(_ folder: String, _ step: () -> Bool) throws {
        guard step() else {
            let code = errno
            throw StoreError(code == ENOSPC ? .storageFull : .ioFailure, "writing \(folder)/\(fileName): \(String(cString: strerror(code)))")
        }
    }
}
