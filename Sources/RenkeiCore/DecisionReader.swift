import RenkeiModel
import RenkeiStore
import SwiftProtobuf

/// A command's reads of the projections in its snapshot. Every value read is remembered: the command's
/// write requires each one unchanged when it commits, and the projections fold the command's events on
/// top of them.
final class DecisionReader {
    let snapshot: any StoreSnapshot
    private(set) var reads: [StateKey: [UInt8]?] = [:]

    init(snapshot: any StoreSnapshot) { self.snapshot = snapshot }

    /// The value under `key` in the snapshot.
    func value(_ key: StateKey) async throws -> [UInt8]? {
        if let value = reads[key] { return value }
        let value = try await snapshot.value(forKey: key.key, in: key.space)
        reads[key] = .some(value)
        return value
    }

    /// Reads every one of `keys` not read yet, together (one round trip on a store across a network): the
    /// reads a decision will make whatever it finds.
    func prefetch(_ keys: [StateKey]) async throws {
        var missing: [StateKey] = []
        for key in keys where reads[key] == nil && !missing.contains(key) { missing.append(key) }
        guard !missing.isEmpty else { return }
        let values = try await snapshot.values(forKeys: missing.map { ($0.space, $0.key) })
        for (key, value) in zip(missing, values) { reads[key] = .some(value) }
    }

    /// The record under `key`, decoded.
    func record<M: SwiftProtobuf.Message>(_ type: M.Type, at key: StateKey) async throws -> M? {
        try await value(key).map { try M(serializedBytes: $0) }
    }

    /// The record under `key`, decoded by hand when it can be.
    func record<M: HandDecodedRecord>(_ type: M.Type, at key: StateKey) async throws -> M? {
        try await value(key).map { try M(recordBytes: $0) }
    }

    func office(_ number: String) async throws -> PBOfficeRecord? { try await record(PBOfficeRecord.self, at: Keys.office(number)) }
    func license(_ number: String) async throws -> PBLicenseRecord? { try await record(PBLicenseRecord.self, at: Keys.license(number)) }
    /// The unit whole: its state with its upload's files (from the upload event, which never changes: no
    /// condition on it is needed).
    func unit(_ sequence: UInt64) async throws -> PBUnitRecord? {
        guard var unit = try await record(PBUnitRecord.self, at: Keys.unit(sequence)),
              let event = try await snapshot.event(at: SequenceNumber(sequence)),
              let upload = try ExchangeProjection.upload(in: event) else { return nil }
        unit.upload = upload
        return unit
    }
}
