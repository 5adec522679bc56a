import Glibc
import RenkeiCrypto
import RenkeiStore

/// One key space's writes during a rebuild, in order, their bytes in one growing buffer (no allocation per
/// entry); the last write of a key wins, a deletion is a write without a value.
final class RebuildTable: @unchecked Sendable {
    /// One write: where its key and value lie in the arena; `valueLength` −1 for a deletion.
    struct Slot {
        var offset: Int
        var keyLength: Int32
        var valueLength: Int32
    }

    private var arena: [UInt8] = []
    private var slots: [Slot] = []
    private var index: [HashedKey: Int]?

    func write(_ key: [UInt8], _ value: [UInt8]?) {
        index?[HashedKey(key)] = slots.count
        slots.append(Slot(offset: arena.count, keyLength: Int32(key.count), valueLength: value.map { Int32($0.count) } ?? -1))
        arena.append(contentsOf: key)
        if let value { arena.append(contentsOf: value) }
    }

    func value(_ key: [UInt8]) -> [UInt8]? {
        if index == nil {
            var built: [HashedKey: Int] = [:]
            built.reserveCapacity(slots.count)
            for position in slots.indices { built[HashedKey(self.key(slots[position]))] = position }
            index = built
        }
        guard let position = index![HashedKey(key)] else { return nil }
        return value(slots[position])
    }

    private func key(_ slot: Slot) -> [UInt8] { Array(arena[slot.offset ..< slot.offset + Int(slot.keyLength)]) }

    private func value(_ slot: Slot) -> [UInt8]? {
        guard slot.valueLength >= 0 else { return nil }
        let start = slot.offset + Int(slot.keyLength)
        return Array(arena[start ..< start + Int(slot.valueLength)])
    }

    /// The live entries in key order: the writes sorted by key — its first 32 bytes as four big-endian
    /// integers, the rest by memcmp — then by position, keeping each key's last write.
    func sorted() -> SortedTable {
        struct Order { var a: UInt64, b: UInt64, c: UInt64, d: UInt64; var position: Int }
        let arena = arena, slots = slots
        return arena.withUnsafeBytes { raw in
            func word(_ slot: Slot, _ n: Int) -> UInt64 {
                var value: UInt64 = 0
                let start = n * 8, length = Int(slot.keyLength)
                for offset in start ..< start + 8 {
                    value = value << 8 | (offset < length ? UInt64(raw[slot.offset + offset]) : 0)
                }
                return value
            }
            var order = slots.enumerated().map { position, slot in
                Order(a: word(slot, 0), b: word(slot, 1), c: word(slot, 2), d: word(slot, 3), position: position)
            }
            func compareTails(_ x: Slot, _ y: Slot) -> Int32 {
                let lx = Int(x.keyLength), ly = Int(y.keyLength)
                let common = min(lx, ly) - 32
                if common > 0 {
                    let result = memcmp(raw.baseAddress! + x.offset + 32, raw.baseAddress! + y.offset + 32, common)
                    if result != 0 { return result }
                }
                return lx == ly ? 0 : (lx < ly ? -1 : 1)
            }
            order.sort { x, y in
                if x.a != y.a { return x.a < y.a }
                if x.b != y.b { return x.b < y.b }
                if x.c != y.c { return x.c < y.c }
                if x.d != y.d { return x.d < y.d }
                let tails = compareTails(slots[x.position], slots[y.position])
                return tails != 0 ? tails < 0 : x.position < y.position
            }
            var live: [Slot] = []
            live.reserveCapacity(order.count)
            var index = 0
            while index < order.count {
                var last = index
                while last + 1 < order.count {
                    let x = order[index], y = order[last + 1]
                    guard x.a == y.a, x.b == y.b, x.c == y.c, x.d == y.d, compareTails(slots[x.position], slots[y.position]) == 0 else { break }
                    last += 1
                }
                let slot = slots[order[last].position]
                if slot.valueLength >= 0 { live.append(slot) }
                index = last + 1
            }
            return SortedTable(arena: arena, slots: live)
        }
    }
}

/// A key space after a rebuild: live entries in key order, their bytes in the rebuild's arena.
struct SortedTable: Sendable {
    private let arena: [UInt8]
    private let slots: [RebuildTable.Slot]

    init(arena: [UInt8] = [], slots: [RebuildTable.Slot] = []) {
        self.arena = arena
        self.slots = slots
    }

    var count: Int { slots.count }

    func key(at index: Int) -> [UInt8] {
        let slot = slots[index]
        return Array(arena[slot.offset ..< slot.offset + Int(slot.keyLength)])
    }

    func value(at index: Int) -> [UInt8] {
        let slot = slots[index]
        let start = slot.offset + Int(slot.keyLength)
        return Array(arena[start ..< start + Int(slot.valueLength)])
    }

    /// The first index whose key is not below `key`.
    func lowerBound(_ key: [UInt8]) -> Int {
        arena.withUnsafeBytes { raw in
            key.withUnsafeBytes { wanted in
                var low = 0, high = slots.count
                while low < high {
                    let middle = (low + high) / 2
                    let slot = slots[middle]
                    let common = min(Int(slot.keyLength), wanted.count)
                    let order = common == 0 ? 0 : memcmp(raw.baseAddress! + slot.offset, wanted.baseAddress!, common)
                    let below = order != 0 ? order < 0 : Int(slot.keyLength) < wanted.count
                    if below { low = middle + 1 } else { high = middle }
                }
                return low
            }
        }
    }

    /// `KeySpaceDigest` over the entries, straight from the arena.
    func digest() -> SHA256Digest {
        arena.withUnsafeBytes { raw in
            var digest = KeySpaceDigest()
            for slot in slots {
                let key = UnsafeRawBufferPointer(rebasing: raw[slot.offset ..< slot.offset + Int(slot.keyLength)])
                let start = slot.offset + Int(slot.keyLength)
                digest.add(key: key, value: UnsafeRawBufferPointer(rebasing: raw[start ..< start + Int(slot.valueLength)]))
            }
            return digest.finalize()
        }
    }
}

/// Key bytes hashed as one block (an array of bytes hashes byte by byte otherwise).
struct HashedKey: Hashable, Sendable {
    let bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    func hash(into hasher: inout Hasher) { bytes.withUnsafeBytes { hasher.combine(bytes: $0) } }
    static func == (lhs: HashedKey, rhs: HashedKey) -> Bool { lhs.bytes == rhs.bytes }
}

/// Bytewise order of keys (the order of every store's key spaces), by memcmp.
enum ByteOrder {
    @inline(__always)
    static func less(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { y in
                let common = min(x.count, y.count)
                if common > 0 {
                    let order = memcmp(x.baseAddress!, y.baseAddress!, common)
                    if order != 0 { return order < 0 }
                }
                return x.count < y.count
            }
        }
    }
}
