public import RenkeiModel
public import RenkeiStore

/// Where queries read projections from: a snapshot of the live store, or a rebuilt, point-in-time view.
public protocol ProjectionReader {
    /// The value under `key` in `space`, or nil.
    func value(forKey key: [UInt8], in space: KeySpace) async throws -> [UInt8]?
    /// Up to `limit` entries of `space` with keys in `lowerBound ..< upperBound`, in key order.
    func entries(in space: KeySpace, from lowerBound: [UInt8]?, to upperBound: [UInt8]?, limit: Int) async throws -> [KeyValue]
    /// The log's event at `sequence`, or nil (a unit's files are read from its upload event).
    func event(at sequence: SequenceNumber) async throws -> Event?
}

/// A store snapshot as a projection reader.
public struct SnapshotProjectionReader: ProjectionReader {
    /// The snapshot.
    public let snapshot: any StoreSnapshot

    /// A reader over `snapshot`.
    public init(_ snapshot: any StoreSnapshot) { self.snapshot = snapshot }

    public func value(forKey key: [UInt8], in space: KeySpace) async throws -> [UInt8]? {
        try await snapshot.value(forKey: key, in: space)
    }

    public func entries(in space: KeySpace, from lowerBound: [UInt8]?, to upperBound: [UInt8]?, limit: Int) async throws -> [KeyValue] {
        try await snapshot.entries(in: space, from: lowerBound, to: upperBound, limit: limit)
    }

    public func event(at sequence: SequenceNumber) async throws -> Event? { try await snapshot.event(at: sequence) }
}
