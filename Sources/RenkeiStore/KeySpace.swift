/// A named, sorted key space beside the log, where the domain keeps its projections (offices, mailboxes,
/// audit indexes, idempotency keys). Key spaces are declared when a store is opened; changes to them commit
/// in the same write as the events they are folded from.
///
/// Names are 1 to 64 characters of `a-z`, `0-9`, `-` and `_`, not starting with `_` (names starting with
/// `_` belong to the store). Keys are 1 to `maximumKeySize` bytes and sort bytewise; values are any bytes
/// up to the store's value bound.
public struct KeySpace: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The name it was declared with.
    public let name: String

    /// The longest key, in bytes (LMDB's bound, kept by every engine so that stores are interchangeable).
    public static let maximumKeySize = 511

    /// A key space named `name`; throws `StoreError` `.invalidArgument` for a name that breaks the rule.
    public init(_ name: String) throws {
        guard Self.isValid(name), !name.hasPrefix("_") else {
            throw StoreError(.invalidArgument, "key space name \"\(name)\": 1 to 64 of a-z 0-9 - _, not starting with _")
        }
        self.name = name
    }

    private init(reserved name: String) { self.name = name }

    static func isValid(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count) && name.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
        }
    }

    /// Each projection's applied sequence (key: the projection's name, value: 8 bytes big-endian); every
    /// store has it. Use `KeyChange.recordApplied` and `StoreSnapshot.appliedSequence(of:)`.
    public static let applied = KeySpace(reserved: "_applied")
    /// Signed checkpoints (key: 8-byte big-endian tree size, value: the signed note); every store has it.
    public static let checkpoints = KeySpace(reserved: "_checkpoints")
    /// The key spaces every store holds besides the declared ones.
    public static let builtIn: [KeySpace] = [applied, checkpoints]

    public static func < (lhs: KeySpace, rhs: KeySpace) -> Bool { lhs.name < rhs.name }
    public var description: String { "key space \(name)" }
}

/// A key and its value, copied out of a snapshot.
public struct KeyValue: Hashable, Sendable {
    /// The key.
    public var key: [UInt8]
    /// The value.
    public var value: [UInt8]

    /// A key and its value.
    public init(key: [UInt8], value: [UInt8]) {
        self.key = key
        self.value = value
    }
}

extension KeySpace {
    /// Throws `.invalidArgument` unless `key` is 1 to `maximumKeySize` bytes.
    public static func validate(key: [UInt8]) throws {
        guard !key.isEmpty, key.count <= maximumKeySize else {
            throw StoreError(.invalidArgument, "a key must have 1 to \(maximumKeySize) bytes, not \(key.count)")
        }
    }
}
