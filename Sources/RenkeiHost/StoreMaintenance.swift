import Foundation
import RenkeiCore
import RenkeiCrypto
import RenkeiLog
public import RenkeiModel
import RenkeiOffice
import RenkeiStore
import SwiftProtobuf

/// The operator's work on a data folder's store, live (a server holds it: read-only, never blocking the
/// writer) or stopped (opened as the writer, so what only its write-ahead log holds is recovered first).
/// `verify`, `view`, `dump` and `backup` work on both; `rebuild` and `retention` write, so they need the
/// server stopped.
public final class StoreMaintenance: Sendable {
    enum Access: Sendable {
        case stopped(LMDBEventStore)
        case live(LMDBStoreReader)
    }

    let access: Access
    /// The store folder.
    public let path: String

    /// The store's data file size in bytes (what a backup copies at most).
    public var size: Int {
        (try? FileManager.default.attributesOfItem(atPath: path + "/data.mdb")[.size] as? Int) ?? 0
    }

    /// Whether a server holds the store (the open is read-only).
    public var isLive: Bool { if case .live = access { true } else { false } }

    /// Opens `data`/store: as the writer when no server holds it, else read-only.
    public init(data: String) throws(ProgramError) {
        path = URL(fileURLWithPath: data).appendingPathComponent("store").path
        guard FileManager.default.fileExists(atPath: path) else { throw ProgramError(.fileNotFound, "\(path) (no store in this data folder)") }
        var configuration = LMDBEventStore.Configuration()
        configuration.keySpaces = Platform.keySpaces
        do {
            access = .stopped(try LMDBEventStore(path: path, configuration: configuration))
        } catch let error as StoreError where error.code == .inUse {
            do { access = .live(try LMDBStoreReader(path: path, keySpaces: Platform.keySpaces)) } catch {
                throw ProgramError(.storeFailed, "\(path): \(error)")
            }
        } catch {
            throw ProgramError(.storeFailed, "\(path): \(error)")
        }
    }

    /// Runs `body` on the store of `data`, closing it afterwards whatever happens.
    public static func with<R>(data: String, _ body: (StoreMaintenance) async throws -> R) async throws -> R {
        let store = try StoreMaintenance(data: data)
        do {
            let result = try await body(store)
            await store.close()
            return result
        } catch {
            await store.close()
            throw error
        }
    }

    public func close() async {
        switch access {
        case .stopped(let store): await store.close()
        case .live(let reader): reader.close()
        }
    }

    func read<R: Sendable>(_ body: @Sendable (any StoreSnapshot) async throws -> R) async throws(ProgramError) -> R {
        do {
            switch access {
            case .stopped(let store): return try await store.read(body)
            case .live(let reader): return try await reader.read(body)
            }
        } catch let error as ProgramError {
            throw error
        } catch {
            throw ProgramError(.storeFailed, "\(error)")
        }
    }

    /// What `verify` found.
    public struct Verification: Sendable {
        public let events: UInt64
        public let root: String
        /// Each projection: its name and whether its live bytes equal a rebuild from the log.
        public let projections: [(name: String, matches: Bool)]
        public var matches: Bool { projections.allSatisfy(\.matches) }
    }

    /// Record hashes and the Merkle root recomputed from the events, then every projection against a rebuild.
    public func verify(progress: (@Sendable (UInt64, UInt64) -> Void)? = nil) async throws(ProgramError) -> Verification {
        let log: LogVerification
        do {
            switch access {
            case .stopped(let store): log = try store.verify(progress: progress)
            case .live(let reader): log = try reader.verify(progress: progress)
            }
        } catch {
            throw ProgramError(.storeMismatch, "the log: \(error)")
        }
        let comparisons = try await read { snapshot in try await Platform.compareProjections(in: snapshot, progress: progress) }
        return Verification(events: log.events, root: log.root.hex, projections: comparisons.map { ($0.space.name, $0.matches) })
    }

    /// The platform as it was after event `sequence`, or at `time`: offices, licences and per-month traffic, as JSON.
    public func view(at sequence: UInt64?, time: Date?, progress: (@Sendable (UInt64, UInt64) -> Void)? = nil) async throws(ProgramError) -> String {
        try await read { snapshot in
            var end = try await snapshot.latestSequence()
            if let sequence { end = min(end, SequenceNumber(sequence)) }
            if let time {
                end = min(end, try await Platform.lastSequence(atOrBefore: Timestamp(rawValue: Int64(time.timeIntervalSince1970 * 1e6)), in: snapshot))
            }
            let view = try await Platform.view(asOf: end, in: snapshot, progress: progress)
            let offices = try await view.queries.offices(limit: 10_000)
            let licenses = try await view.queries.licenses()
            var lines = ["{\"through\": \(view.through.rawValue), \"offices\": ["]
            lines.append(offices.map { "  " + ((try? $0.jsonString()) ?? "{}") }.joined(separator: ",\n"))
            lines.append("], \"licenses\": [")
            lines.append(licenses.map { "  " + ((try? $0.jsonString()) ?? "{}") }.joined(separator: ",\n"))
            lines.append("]}")
            return lines.joined(separator: "\n")
        }
    }

    /// Events `from`… as JSON Lines (sequence, time, kind, actor, body), at most `limit`.
    public func dump(from: UInt64, limit: Int, write: @Sendable (String) -> Void) async throws(ProgramError) {
        try await read { snapshot in
            var next = SequenceNumber(max(1, from))
            var remaining = limit
            let latest = try await snapshot.latestSequence()
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            while next <= latest, remaining > 0 {
                let page = try await snapshot.events(from: next, limit: min(1000, remaining))
                guard let last = page.last else { break }
                for event in page {
                    let body = (try? DomainEvent(kind: event.envelope.kind, body: event.body))??.json ?? "null"
                    let time = formatter.string(from: Date(timeIntervalSince1970: Double(event.envelope.timestamp.rawValue) / 1e6))
                    write("{\"sequence\":\(event.envelope.sequence.rawValue),\"time\":\"\(time)\",\"kind\":\"\(event.envelope.kind.name ?? "kind\(event.envelope.kind.rawValue)")\",\"actor\":\(Self.quoted(event.envelope.actor.description)),\"body\":\(body)}")
                }
                remaining -= page.count
                next = last.envelope.sequence.next
            }
        }
    }

    /// A hot, compacted copy into a new data folder `destination` (its `store/`), which `verify --data`
    /// and `renkei-server --data` open as they open the original. Returns whether the store was live.
    public func backup(to destination: String) async throws(ProgramError) -> Bool {
        guard !FileManager.default.fileExists(atPath: destination) else {
            throw ProgramError(.unwritable, "\(destination) exists; a backup goes into a new folder / 新しいフォルダを指定してください")
        }
        try LocalFiles.makeFolder(URL(fileURLWithPath: destination))
        let store = URL(fileURLWithPath: destination).appendingPathComponent("store").path
        do {
            switch access {
            case .stopped(let writer): try writer.backup(to: store)
            case .live(let reader): try reader.backup(to: store)
            }
        } catch {
            try? FileManager.default.removeItem(atPath: destination)
            if let error = error as? StoreError, error.code == .storageFull { throw ProgramError(.diskFull, destination) }
            throw ProgramError(.storeFailed, "backup to \(destination): \(error)")
        }
        return isLive
    }

    /// Replaces projections that differ from a rebuild (the server must be stopped).
    public func rebuild(progress: (@Sendable (UInt64, UInt64) -> Void)? = nil) async throws(ProgramError) -> [String] {
        let platform = try writablePlatform("rebuild")
        do { return try await platform.rebuildProjections(progress: progress).map(\.name) } catch { throw ProgramError(.storeFailed, "\(error)") }
    }

    /// Purges files past the retention policy (the server must be stopped; a running server applies it on its own schedule).
    public func retention() async throws(ProgramError) -> Int {
        let platform = try writablePlatform("retention run")
        do { return try await platform.applyRetention().count } catch { throw ProgramError(.storeFailed, "\(error)") }
    }

    func writablePlatform(_ command: String) throws(ProgramError) -> Platform {
        guard case .stopped(let store) = access else {
            throw ProgramError(.folderBusy, "\(path) is held by a running renkei-server; stop it before `\(command)` / サーバーを停止してから実行してください")
        }
        do {
            // The trust store is not consulted by rebuilds or retention; a throwaway CA satisfies the type.
            let ca = try PlatformCA.generate(name: "Renkei maintenance")
            return try Platform(store: store, configuration: PlatformConfiguration(trustStore: try TrustStore(platform: ca, revocationList: nil)))
        } catch {
            throw ProgramError(.storeFailed, "\(error)")
        }
    }

    static func quoted(_ text: String) -> String {
        let data = try? JSONSerialization.data(withJSONObject: [text])
        return data.map { String(decoding: $0.dropFirst().dropLast(), as: UTF8.self) } ?? "\"\""
    }
}
