public import RenkeiStore
import SwiftProtobuf

/// A key in one of the projections' key spaces.
public struct StateKey: Hashable, Sendable, CustomStringConvertible {
    /// The key space.
    public let space: KeySpace
    /// The key.
    public let key: [UInt8]

    /// A key in `space`.
    public init(_ space: KeySpace, _ key: [UInt8]) {
        self.space = space
        self.key = key
    }

    public var description: String { "\(space.name)/\(key.count) bytes" }
}

/// What a projection reads and changes while it folds one event. Two kinds exist: the live one (the keys a
/// command read from its snapshot, with the changes collected into the command's write) and the rebuild's
/// (every key, in memory). A projection cannot tell them apart, which is what makes a rebuild equal the
/// live state.
protocol ProjectionState {
    /// The value under `key`, or nil; throws if the live state did not prefetch it (a projection whose
    /// `reads(for:)` misses a key it reads: a programming error the rebuild test catches).
    func value(_ key: StateKey) throws -> [UInt8]?
    /// Stores `value` under `key`.
    mutating func put(_ key: StateKey, _ value: [UInt8])
    /// Removes `key`.
    mutating func delete(_ key: StateKey)
    /// Stores `record` under `key`, encoded by hand (`HandEncodedRecord`): the rebuild encodes into a buffer
    /// it keeps, the live state into the bytes its write carries.
    mutating func put(_ key: StateKey, record: some HandEncodedRecord) throws
}

/// Deterministic protobuf bytes (no maps are used in records, so field order is fixed).
func encodeRecord(_ message: some SwiftProtobuf.Message) throws -> [UInt8] {
    var options = BinaryEncodingOptions()
    options.useDeterministicOrdering = true
    return try message.serializedBytes(options: options)
}

extension ProjectionState {
    /// The record under `key`, decoded, or nil.
    func record<M: SwiftProtobuf.Message>(_ type: M.Type, at key: StateKey) throws -> M? {
        try value(key).map { try M(serializedBytes: $0) }
    }

    /// The record under `key`, decoded by hand when it can be, or nil.
    func record<M: HandDecodedRecord>(_ type: M.Type, at key: StateKey) throws -> M? {
        try value(key).map { try M(recordBytes: $0) }
    }

    /// Stores `record` under `key`.
    mutating func put(_ key: StateKey, record: some SwiftProtobuf.Message) throws {
        put(key, try encodeRecord(record))
    }
}

/// The live state: the values a command's decision read (and the projections' declared reads), in the
/// command's snapshot, and the changes the projections make on top, in order.
struct LiveProjectionState: ProjectionState {
    private var values: [StateKey: [UInt8]?]
    private(set) var changes: [KeyChange] = []

    init(prefetched: [StateKey: [UInt8]?]) { values = prefetched }

    func value(_ key: StateKey) throws -> [UInt8]? {
        guard let value = values[key] else {
            throw StoreError(.invalidArgument, "a projection read \(key), which its command did not read first")
        }
        return value
    }

    mutating func put(_ key: StateKey, _ value: [UInt8]) {
        values[key] = .some(value)
        changes.append(.put(key.space, key: key.key, value: value))
    }

    mutating func delete(_ key: StateKey) {
        values[key] = .some(nil)
        changes.append(.delete(key.space, key: key.key))
    }
}
