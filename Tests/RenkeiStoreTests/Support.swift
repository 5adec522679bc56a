import Foundation
import RenkeiCrypto
import RenkeiLog
import RenkeiMerkle
import RenkeiModel
import RenkeiPostgres
import RenkeiStore
import Synchronization

/// The engines the conformance suite runs on. PostgreSQL's server is the one `Tools/dev test` starts (its
/// URL in RENKEI_TEST_POSTGRES); each store gets a schema of its own.
enum Engine: String, CaseIterable, CustomStringConvertible, Sendable {
    case memory, lmdb, postgres
    var description: String { rawValue }
}

let mailbox = try! KeySpace("mailbox")
let claims = try! KeySpace("claims")
let office = Actor.office(OfficeNumber(rawValue: "1310000001")!)

/// A store of `engine` with the suite's key spaces, removed (its folder) when released.
final class StoreUnderTest: @unchecked Sendable {
    let store: any EventStore
    private let folder: String?

    init(_ engine: Engine, clock: (@Sendable () -> Timestamp)? = nil) async throws {
        switch engine {
        case .memory:
            store = InMemoryEventStore(keySpaces: [mailbox, claims], clock: clock ?? { .now() })
            folder = nil
        case .lmdb:
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("renkei-store-\(UUID().uuidString)").path
            var configuration = LMDBEventStore.Configuration()
            configuration.keySpaces = [mailbox, claims]
            configuration.mapSize = 1 << 32
            // A small write-ahead log: groups over 1 MiB go to LMDB directly, so both paths are exercised,
            // and a short interval, so checkpoints happen while the tests run.
            configuration.writeAheadLogSize = 4 << 20
            configuration.checkpointInterval = .milliseconds(20)
            if let clock { configuration.clock = clock }
            store = try LMDBEventStore(path: path, configuration: configuration)
            folder = path
        case .postgres:
            var configuration = try Self.postgresConfiguration(schemaPrefix: "t_")
            if let clock { configuration.clock = clock }
            store = try await PostgresEventStore.open(configuration)
            folder = nil
        }
    }

    /// A PostgreSQL store's configuration on the test server: a schema of its own, the suite's key spaces.
    static func postgresConfiguration(schemaPrefix: String) throws -> PostgresEventStore.Configuration {
        var configuration = try PostgresEventStore.Configuration(url: try postgresURL())
        configuration.schema = schemaPrefix + UUID().uuidString.prefix(13).lowercased().replacingOccurrences(of: "-", with: "")
        configuration.keySpaces = [mailbox, claims]
        configuration.maximumConnections = 4
        return configuration
    }

    /// The test server's URL; without one the PostgreSQL cases fail, saying how to get one.
    static func postgresURL() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["RENKEI_TEST_POSTGRES"], !url.isEmpty else {
            throw StoreError(.unavailable, "RENKEI_TEST_POSTGRES is not set: run the tests with Tools/dev test, which starts a PostgreSQL 15 server for them")
        }
        return url
    }

    deinit {
        if let folder { try? FileManager.default.removeItem(atPath: folder) }
        // A PostgreSQL store is left open (tests keep using `store` after this holder goes): its idle
        // connections close after a minute, and the server Tools/dev test started goes at the end.
    }
}

func event(_ tag: String, kind: UInt16 = 7, actor: Actor = office) -> NewEvent {
    NewEvent(kind: EventKind(rawValue: kind), body: Array("event \(tag)".utf8), actor: actor, requestID: .random())
}

/// RFC 9162's MTH over leaf hashes, recursively: the reference for roots a store reports.
func referenceRoot(_ leaves: ArraySlice<SHA256Digest>) -> SHA256Digest {
    switch leaves.count {
    case 0: return SHA256.hash([UInt8]())
    case 1: return leaves.first!
    default:
        var k = 1
        while k << 1 < leaves.count { k <<= 1 }
        let mid = leaves.startIndex + k
        return SHA256.hash([1] + referenceRoot(leaves[..<mid]).bytes + referenceRoot(leaves[mid...]).bytes)
    }
}

struct Refused: Error {}
