/// A key space held in memory: keys in bytewise order beside their values (binary search; an insert
/// moves the entries after it, which is fine at the sizes tests use).
struct SortedKeyValues: Sendable {
    private(set) var keys: [[UInt8]] = []
    private(set) var values: [[UInt8]] = []

    var count: Int { keys.count }

    /// The index of the first key at or after `key`.
    func lowerBound(_ key: [UInt8]) -> Int {
        var low = 0, high = keys.count
        while low < high {
            let middle = (low + high) / 2
            if compareKeys(keys[middle], key) < 0 { low = middle + 1 } else { high = middle }
        }
        return low
    }

    subscript(key: [UInt8]) -> [UInt8]? {
        let index = lowerBound(key)
        return index < keys.count && keys[index] == key ? values[index] : nil
    }

    mutating func put(_ value: [UInt8], forKey key: [UInt8]) {
        let index = lowerBound(key)
        if index < keys.count && keys[index] == key {
            values[index] = value
        } else {
            keys.insert(key, at: index)
            values.insert(value, at: index)
        }
    }

    mutating func remove(_ key: [UInt8]) {
        let index = lowerBound(key)
        guard index < keys.count && keys[index] == key else { return }
        keys.remove(at: index)
        values.remove(at: index)
    }

    mutating func removeAll() {
        keys = []
        values = []
    }

    func entries(from lowerBound: [UInt8]?, to upperBound: [UInt8]?, limit: Int) -> [KeyValue] {
        var result: [KeyValue] = []
        var index = lowerBound.map { self.lowerBound($0) } ?? 0
        while index < keys.count, result.count < limit {
            if let upperBound, compareKeys(keys[index], upperBound) >= 0 { break }
            result.append(KeyValue(key: keys[index], value: values[index]))
            index += 1
        }
        return result
    }
}
