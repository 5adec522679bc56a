import Foundation
import RenkeiCrypto
import RenkeiLog
import RenkeiModel
import RenkeiStore

/// A fresh folder under the system's temporary directory, removed when the test ends.
final class TemporaryFolder: Sendable {
    let path: String
    init() {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("renkei-log-\(UUID().uuidString)").path
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

let uploadKind = EventKind(rawValue: 7)
let office = Actor.office(OfficeNumber(rawValue: "1310000001")!)

/// An event whose body differs with `tag`.
func event(_ tag: String) -> NewEvent {
    NewEvent(kind: uploadKind, body: Array("202407,1310000001,139999,\(tag)\r\n".utf8), actor: office, requestID: .random())
}

/// Bytes that do not compress, so that a store fills predictably.
func incompressible(_ count: Int, seed: UInt64) -> [UInt8] {
    var state = seed
    return (0..<count).map { _ in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return UInt8(truncatingIfNeeded: state >> 33)
    }
}

/// Runs `body`, failing with a timeout error if it has not finished after `limit` (a hang is a failure).
func within<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        guard let first = try await group.next(), let value = first else {
            group.cancelAll()
            throw StoreError(.ioFailure, "did not finish within \(limit)")
        }
        group.cancelAll()
        return value
    }
}
