/// The bounds every engine keeps, so that a write one engine takes another takes too.
public struct StoreLimits: Hashable, Sendable {
    /// The largest event body.
    public var maximumEventBodySize = 4 << 20
    /// The largest file (blob).
    public var maximumBlobSize = 64 << 20
    /// The largest key-space value.
    public var maximumValueSize = 16 << 20
    /// The largest write: bodies, stored files, dictionaries, keys and values together.
    public var maximumWriteSize = 256 << 20
    /// The most events, files, changes or conditions in one write.
    public var maximumItemsPerWrite = 100_000

    /// The defaults.
    public init() {}
}

extension StoreWrite {
    /// Checks the write against `limits` and the store's key spaces and returns its size in bytes (what
    /// it will hold in a writer's queue). Engines call this before anything else.
    ///
    /// - Throws: `StoreError` `.tooLarge`, `.invalidArgument`, `.unknownKeySpace`.
    public func validate(limits: StoreLimits, keySpaces: Set<KeySpace>) throws -> Int {
        let items = [conditions.count, events.count, blobs.count, releasedBlobs.count, dictionaries.count, changes.count]
        guard items.allSatisfy({ $0 <= limits.maximumItemsPerWrite }) else {
            throw StoreError(.tooLarge, "a write of \(items.max() ?? 0) items; at most \(limits.maximumItemsPerWrite) of each")
        }
        var size = 0
        for event in events {
            guard event.body.count <= limits.maximumEventBodySize else {
                throw StoreError(.tooLarge, "an event body of \(event.body.count) bytes; at most \(limits.maximumEventBodySize)")
            }
            guard event.actor.isValid else { throw StoreError(.invalidArgument, "actor \(event.actor): a name of 1 to \(Actor.maximumNameLength) bytes") }
            size += event.body.count + EventRecord.maximumEnvelopeSize
        }
        for blob in blobs {
            guard blob.size <= limits.maximumBlobSize else {
                throw StoreError(.tooLarge, "a file of \(blob.size) bytes; at most \(limits.maximumBlobSize)")
            }
            try PreparedBlob.validate(kind: blob.kind)
            size += blob.stored.count + 64
        }
        size += dictionaries.reduce(0) { $0 + $1.count } + releasedBlobs.count * 32
        func check(_ space: KeySpace) throws {
            guard keySpaces.contains(space) || KeySpace.builtIn.contains(space) else {
                throw StoreError(.unknownKeySpace, "\(space) was not declared when the store was opened")
            }
        }
        for condition in conditions {
            switch condition {
            case .absent(let space, let key), .unchanged(let space, let key, _):
                try check(space)
                try KeySpace.validate(key: key)
                size += key.count
            case .logEnds: break
            }
        }
        for change in changes { size += try change.validate(limits: limits, check: check) }
        guard size <= limits.maximumWriteSize else {
            throw StoreError(.tooLarge, "a write of \(size) bytes; at most \(limits.maximumWriteSize)")
        }
        return size
    }
}

extension KeyChange {
    /// Checks one change; returns its size in bytes.
    public func validate(limits: StoreLimits, check: (KeySpace) throws -> Void) throws -> Int {
        try check(keySpace)
        switch self {
        case .put(_, let key, let value):
            try KeySpace.validate(key: key)
            guard value.count <= limits.maximumValueSize else {
                throw StoreError(.tooLarge, "a value of \(value.count) bytes; at most \(limits.maximumValueSize)")
            }
            return key.count + value.count
        case .delete(_, let key):
            try KeySpace.validate(key: key)
            return key.count
        case .clear:
            return 0
        }
    }
}

/// The id of a zstd dictionary, from its header (magic `0xEC30A437`, then the id, little-endian): the
/// protocol carries dictionaries as bytes, and every engine must agree on their ids.
public enum DictionaryHeader {
    /// The dictionary's id, or nil when the bytes are not a zstd dictionary with a non-zero id.
    public static func id(of bytes: [UInt8]) -> UInt32? {
        guard bytes.count >= 8, bytes[0] == 0x37, bytes[1] == 0xA4, bytes[2] == 0x30, bytes[3] == 0xEC else { return nil }
        let id = UInt32(bytes[4]) | UInt32(bytes[5]) << 8 | UInt32(bytes[6]) << 16 | UInt32(bytes[7]) << 24
        return id == 0 ? nil : id
    }
}
