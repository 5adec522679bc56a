import Glibc
import RenkeiCrypto
import RenkeiStore

/// Bytes appended into fixed chunks that never move (no copy when it grows), freed with the arena.
final class ByteArena: @unchecked Sendable {
    private static let chunkSize = 16 << 20
    private var chunks: [UnsafeMutableRawPointer] = []
    private var used = ByteArena.chunkSize

    deinit { for chunk in chunks { free(chunk) } }

    /// Copies `first` then `second` next to each other; returns where they start.
    func append(_ first: [UInt8], _ second: [UInt8]?) -> (chunk: Int32, offset: Int32) {
        let length = first.count + (second?.count ?? 0)
        if used + length > Self.chunkSize {
            chunks.append(malloc(max(Self.chunkSize, length))!)
            used = 0
        }
        let start = chunks[chunks.count - 1] + used
        first.withUnsafeBytes { if let base = $0.baseAddress { start.copyMemory(from: base, byteCount: $0.count) } }
        second?.withUnsafeBytes { if let base = $0.baseAddress { (start + first.count).copyMemory(from: base, byteCount: $0.count) } }
        defer { used += length }
        return (Int32(chunks.count - 1), Int32(used))
    }

    func pointer(_ chunk: Int32, _ offset: Int32) -> UnsafeRawPointer { UnsafeRawPointer(chunks[Int(chunk)] + Int(offset)) }

    func bytes(_ chunk: Int32, _ offset: Int32, _ count: Int) -> [UInt8] {
        Array(UnsafeRawBufferPointer(start: pointer(chunk, offset), count: count))
    }
}

/// One key space's writes during a rebuild, in order, their bytes in an arena (no allocation per entry); the
/// last write of a key wins, a deletion is a write without a value.
final class RebuildTable: @unchecked Sendable {
    /// One write: where its key (then its value) lies in the arena; `valueLength` −1 for a deletion.
    struct Slot {
        var chunk: Int32
        var offset: Int32
        var keyLength: Int32
        var valueLength: Int32
    }

    private let arena = ByteArena()
    private var slots: [Slot] = []
    private var index: [HashedKey: Int]?

    func write(_ key: [UInt8], _ value: [UInt8]?) {
        index?[HashedKey(key)] = slots.count
        let (chunk, offset) = arena.append(key, value)
        slots.append(Slot(chunk: chunk, offset: offset, keyLength: Int32(key.count), valueLength: value.map { Int32($0.count) } ?? -1))
    }

    func value(_ key: [UInt8]) -> [UInt8]? {
        if index == nil {
            var built: [HashedKey: Int] = [:]
            built.reserveCapacity(slots.count)
            for position in slots.indices { built[HashedKey(arena.bytes(slots[position].chunk, slots[position].offset, Int(slots[position].keyLength)))] = position }
            index = built
        }
        guard let position = index![HashedKey(key)] else { return nil }
        let slot = slots[position]
        guard slot.valueLength >= 0 else { return nil }
        return arena.bytes(slot.chunk, slot.offset + slot.keyLength, Int(slot.valueLength))
    }

    /// The live entries in key order: the writes sorted by key — its first 32 bytes as four big-endian
    /// integers, the rest by memcmp — then by position, keeping each key's last write.
    func sorted() -> SortedTable {
        struct Order { var a: UInt64, b: UInt64, c: UInt64, d: UInt64; var position: Int }
        let arena = arena, slots = slots
        func word(_ slot: Slot, _ n: Int) -> UInt64 {
            let key = arena.pointer(slot.chunk, slot.offset)
            var value: UInt64 = 0
            let start = n * 8, length = Int(slot.keyLength)
            for offset in start ..< start + 8 {
                value = value << 8 | (offset < length ? UInt64(key.load(fromByteOffset: offset, as: UInt8.self)) : 0)
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
                let result = memcmp(arena.pointer(x.chunk, x.offset) + 32, arena.pointer(y.chunk, y.offset) + 32, common)
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

/// A key space after a rebuild: live entries in key order, their bytes in the rebuild's arena.
struct SortedTable: Sendable {
    private let arena: ByteArena
    private let slots: [RebuildTable.Slot]

    init(arena: ByteArena = ByteArena(), slots: [RebuildTable.Slot] = []) {
        self.arena = arena
        self.slots = slots
    }

    var count: Int { slots.count }

    func key(at index: Int) -> [UInt8] {
        let slot = slots[index]
        return arena.bytes(slot.chunk, slot.offset, Int(slot.keyLength))
    }

    func value(at index: Int) -> [UInt8] {
        let slot = slots[index]
        return arena.bytes(slot.chunk, slot.offset + slot.keyLength, Int(slot.valueLength))
    }

    /// The first index whose key is not below `key`.
    func lowerBound(_ key: [UInt8]) -> Int {
        key.withUnsafeBytes { wanted in
            var low = 0, high = slots.count
            while low < high {
                let middle = (low + high) / 2
                let slot = slots[middle]
                let common = min(Int(slot.keyLength), wanted.count)
                let order = common == 0 ? 0 : memcmp(arena.pointer(slot.chunk, slot.offset), wanted.baseAddress!, common)
                let below = order != 0 ? order < 0 : Int(slot.keyLength) < wanted.count
                if below { low = middle + 1 } else { high = middle }
            }
            return low
        }
    }

    /// `KeySpaceDigest` over the entries, straight from the arena.
    func digest() -> SHA256Digest {
        var digest = KeySpaceDigest()
        for slot in slots {
            let key = UnsafeRawBufferPointer(start: arena.pointer(slot.chunk, slot.offset), count: Int(slot.keyLength))
            let value = UnsafeRawBufferPointer(start: arena.pointer(slot.chunk, slot.offset + slot.keyLength), count: Int(slot.valueLength))
            digest.add(key: key, value: value)
        }
        return digest.finalize()
    }
}

/// Key bytes hashed as one block (an array of bytes hashes byte by byte otherwise).
struct HashedKey: Hashable, Sendable {
    let bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    func hash(into hasher: inout Hasher) { bytes.withUnsafeBytes { hasher.combine(bytes: $0) } }
    static func == (lhs: HashedKey, rhs: HashedKey) -> Bool { lhs.bytes == rhs.bytes }
}
