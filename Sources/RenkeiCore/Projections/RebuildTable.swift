import Glibc
import RenkeiCrypto
import RenkeiStore

/// Bytes appended into fixed chunks that never move (no copy when it grows), freed with the arena.
final class ByteArena: @unchecked Sendable {
    private static let chunkSize = 16 << 20
    @exclusivity(unchecked) private var chunks: [UnsafeMutableRawPointer] = []
    @exclusivity(unchecked) private var used = ByteArena.chunkSize

    deinit { for chunk in chunks { free(chunk) } }

    /// Copies `first` then `second` next to each other; returns where they start.
    func append(_ first: [UInt8], _ second: [UInt8]?) -> (chunk: Int32, offset: Int32) {
        let length = first.count + (second?.count ?? 0)
        if used + length > Self.chunkSize {
            chunks.append(Self.allocateChunk(max(Self.chunkSize, length)))
            used = 0
        }
        let start = chunks[chunks.count - 1] + used
        first.withUnsafeBytes { if let base = $0.baseAddress { start.copyMemory(from: base, byteCount: $0.count) } }
        second?.withUnsafeBytes { if let base = $0.baseAddress { (start + first.count).copyMemory(from: base, byteCount: $0.count) } }
        defer { used += length }
        return (Int32(chunks.count - 1), Int32(used))
    }

    /// A chunk aligned to 2 MiB and marked for transparent huge pages where the kernel offers them: a
    /// rebuild writes gigabytes once, and one fault per 2 MiB instead of per 4 KiB is a large part of its time.
    private static func allocateChunk(_ size: Int) -> UnsafeMutableRawPointer {
        var memory: UnsafeMutableRawPointer?
        guard posix_memalign(&memory, 2 << 20, size) == 0, let memory else { fatalError("out of memory for a rebuild chunk of \(size) bytes") }
        _ = madvise(memory, size, MADV_HUGEPAGE)
        return memory
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
    @exclusivity(unchecked) private var slots: [Slot] = []
    /// Built the first time the table is read, kept from then on: open addressing over the arena's keys,
    /// each bucket the key's hash (high half) and its latest slot + 1 (low half; 0: empty).
    @exclusivity(unchecked) private var buckets: [UInt64] = []

    func write(_ key: [UInt8], _ value: [UInt8]?) {
        let (chunk, offset) = arena.append(key, value)
        slots.append(Slot(chunk: chunk, offset: offset, keyLength: Int32(key.count), valueLength: value.map { Int32($0.count) } ?? -1))
        guard !buckets.isEmpty else { return }
        if slots.count * 2 > buckets.count { buildIndex() } else { index(slots.count - 1) }
    }

    func value(_ key: [UInt8]) -> [UInt8]? {
        if buckets.isEmpty { buildIndex() }
        let position = key.withUnsafeBytes { find($0) }
        guard position >= 0 else { return nil }
        let slot = slots[position]
        guard slot.valueLength >= 0 else { return nil }
        return arena.bytes(slot.chunk, slot.offset + slot.keyLength, Int(slot.valueLength))
    }

    private func buildIndex() {
        var capacity = 1024
        while capacity < slots.count * 2 { capacity *= 2 }
        buckets = []
        buckets = Array(repeating: 0, count: capacity)
        for position in slots.indices { index(position) }
    }

    private func keyBytes(_ slot: Slot) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: arena.pointer(slot.chunk, slot.offset), count: Int(slot.keyLength))
    }

    /// The slot of the latest write of `key`, or −1.
    private func find(_ key: UnsafeRawBufferPointer) -> Int {
        let hash = Self.hash(key), mask = buckets.count - 1
        var bucket = Int(truncatingIfNeeded: hash) & mask
        while true {
            let entry = buckets[bucket]
            if entry == 0 { return -1 }
            let position = Int(entry & 0xFFFF_FFFF) - 1
            if entry >> 32 == hash >> 32, Self.equal(keyBytes(slots[position]), key) { return position }
            bucket = (bucket + 1) & mask
        }
    }

    /// Points the bucket of slot `position`'s key at it (a later write of a key replaces the earlier one).
    private func index(_ position: Int) {
        let key = keyBytes(slots[position])
        let hash = Self.hash(key), mask = buckets.count - 1
        var bucket = Int(truncatingIfNeeded: hash) & mask
        let entry = (hash & 0xFFFF_FFFF_0000_0000) | UInt64(position + 1)
        while true {
            let existing = buckets[bucket]
            if existing == 0 { buckets[bucket] = entry; return }
            if existing >> 32 == hash >> 32, Self.equal(keyBytes(slots[Int(existing & 0xFFFF_FFFF) - 1]), key) {
                buckets[bucket] = entry
                return
            }
            bucket = (bucket + 1) & mask
        }
    }

    private static func equal(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        a.count == b.count && (a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0)
    }

    /// FNV-1a over the key, then mixed: spread, not resistance to chosen keys. Only tables a fold reads back
    /// are indexed — units, offices, licences, certificates — and their keys are sequence numbers, checked
    /// 事業所番号 and serials the platform issues, none a caller can pick freely.
    private static func hash(_ key: UnsafeRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        hash ^= hash >> 33
        hash = hash &* 0xff51_afd7_ed55_8ccd
        hash ^= hash >> 33
        return hash
    }

    /// The live entries of `tables` — one key space written by lanes that never write the same key — in
    /// key order: the writes sorted by key (its first 32 bytes as four big-endian integers, the rest by
    /// memcmp), then by position, keeping each key's last write.
    static func sorted(_ tables: [RebuildTable]) -> SortedTable {
        /// A write: its key's first 32 bytes, and where it is (its table in the high half, its slot in the low).
        struct Order { var a: UInt64, b: UInt64, c: UInt64, d: UInt64; var position: Int }
        func entry(_ position: Int) -> SortedTable.Entry {
            let table = tables[position >> 32], slot = table.slots[position & 0xFFFF_FFFF]
            return SortedTable.Entry(start: table.arena.pointer(slot.chunk, slot.offset), keyLength: slot.keyLength, valueLength: slot.valueLength)
        }
        func word(_ entry: SortedTable.Entry, _ n: Int) -> UInt64 {
            let start = n * 8, length = Int(entry.keyLength)
            if start + 8 <= length { return UInt64(bigEndian: entry.start.loadUnaligned(fromByteOffset: start, as: UInt64.self)) }
            var value: UInt64 = 0
            for offset in start ..< start + 8 {
                value = value << 8 | (offset < length ? UInt64(entry.start.load(fromByteOffset: offset, as: UInt8.self)) : 0)
            }
            return value
        }
        // Straight from the write slots: no array of entries beside the order (a sixth of the memory a rebuild
        // touches for the first time).
        var order: [Order] = []
        order.reserveCapacity(tables.reduce(0) { $0 + $1.slots.count })
        for (number, table) in tables.enumerated() {
            for index in table.slots.indices {
                let position = number << 32 | index, found = entry(position)
                order.append(Order(a: word(found, 0), b: word(found, 1), c: word(found, 2), d: word(found, 3), position: position))
            }
        }
        func compareTails(_ x: SortedTable.Entry, _ y: SortedTable.Entry) -> Int32 {
            let lx = Int(x.keyLength), ly = Int(y.keyLength)
            let common = min(lx, ly) - 32
            if common > 0 {
                let result = memcmp(x.start + 32, y.start + 32, common)
                if result != 0 { return result }
            }
            return lx == ly ? 0 : (lx < ly ? -1 : 1)
        }
        order.sort { x, y in
            if x.a != y.a { return x.a < y.a }
            if x.b != y.b { return x.b < y.b }
            if x.c != y.c { return x.c < y.c }
            if x.d != y.d { return x.d < y.d }
            let tails = compareTails(entry(x.position), entry(y.position))
            return tails != 0 ? tails < 0 : x.position < y.position
        }
        var live: [SortedTable.Entry] = []
        live.reserveCapacity(order.count)
        var index = 0
        while index < order.count {
            var last = index
            while last + 1 < order.count {
                let x = order[index], y = order[last + 1]
                guard x.a == y.a, x.b == y.b, x.c == y.c, x.d == y.d, compareTails(entry(x.position), entry(y.position)) == 0 else { break }
                last += 1
            }
            let kept = entry(order[last].position)
            if kept.valueLength >= 0 { live.append(kept) }
            index = last + 1
        }
        return SortedTable(arenas: tables.map(\.arena), entries: live)
    }
}

/// A key space after a rebuild: live entries in key order, their bytes in the rebuild's arenas (which it
/// keeps, and which never move).
struct SortedTable: @unchecked Sendable {
    /// Where an entry's key, then its value, lie.
    struct Entry {
        let start: UnsafeRawPointer
        let keyLength: Int32
        let valueLength: Int32

        var key: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: start, count: Int(keyLength)) }
        var value: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: start + Int(keyLength), count: Int(valueLength)) }
    }

    private let arenas: [ByteArena]
    private let entries: [Entry]

    init(arenas: [ByteArena] = [], entries: [Entry] = []) {
        self.arenas = arenas
        self.entries = entries
    }

    /// `pieces` one after another: each piece's keys all below the next piece's.
    init(joining pieces: [SortedTable]) {
        self.init(arenas: pieces.flatMap(\.arenas), entries: pieces.flatMap(\.entries))
    }

    var count: Int { entries.count }

    func key(at index: Int) -> [UInt8] { Array(entries[index].key) }

    func value(at index: Int) -> [UInt8] { Array(entries[index].value) }

    /// The first index whose key is not below `key`.
    func lowerBound(_ key: [UInt8]) -> Int {
        key.withUnsafeBytes { wanted in
            var low = 0, high = entries.count
            while low < high {
                let middle = (low + high) / 2
                let entry = entries[middle]
                let common = min(Int(entry.keyLength), wanted.count)
                let order = common == 0 ? 0 : memcmp(entry.start, wanted.baseAddress!, common)
                let below = order != 0 ? order < 0 : Int(entry.keyLength) < wanted.count
                if below { low = middle + 1 } else { high = middle }
            }
            return low
        }
    }

    /// `KeySpaceDigest` over the entries, straight from the arenas.
    func digest() -> SHA256Digest {
        var digest = KeySpaceDigest()
        for entry in entries { digest.add(key: entry.key, value: entry.value) }
        return digest.finalize()
    }
}
