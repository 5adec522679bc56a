@testable import RenkeiLog
import RenkeiModel
import RenkeiStore
import Testing

/// Merged change sets say what the sets they replace said, in order: a reader sees the same table through
/// one merged layer as through the layers it was made of, and a checkpoint applies the same changes.
@Suite struct ChangeSetMergeTests {
    /// Random runs of tables over a small key set (so keys recur across tables), some cleared, with puts and
    /// deletes; the merge must equal applying the tables one after another, and stay in key order.
    @Test func aMergeIsTheTablesAppliedInOrder() {
        var random = SplitMix64(seed: 41)
        for _ in 0..<300 {
            let count = Int.random(in: 1...9, using: &random)
            var tables: [FrozenTable] = []
            // What the tables say, applied in order: each key's newest word, and whether the table below is hidden.
            var model: [[UInt8]: [UInt8]?] = [:]
            var cleared = false
            for _ in 0..<count {
                var changes = TableChanges()
                changes.cleared = Int.random(in: 0..<6, using: &random) == 0
                if changes.cleared {
                    model = [:]
                    cleared = true
                }
                for _ in 0..<Int.random(in: 0...12, using: &random) {
                    // Keys of 0 to 3 bytes from a small alphabet: prefixes of one another, and equal ones, are common.
                    let key = (0..<Int.random(in: 0...3, using: &random)).map { _ in UInt8.random(in: 0...2, using: &random) }
                    let value: [UInt8]? = Int.random(in: 0..<4, using: &random) == 0 ? nil : [UInt8.random(in: 0...255, using: &random)]
                    changes.values[StoreKey(key)] = .some(value)
                    model[key] = .some(value)
                }
                tables.append(FrozenTable(changes))
            }
            let merged = FrozenTable.merged(tables)
            #expect(merged.cleared == cleared)
            #expect(merged.sorted.count == model.count)
            #expect(zip(merged.sorted, merged.sorted.dropFirst()).allSatisfy { StoreKey.precedes($0.key, $1.key) })
            for entry in merged.sorted { #expect(model[entry.key.bytes] == .some(entry.value)) }
            for (key, value) in model {
                #expect(merged.values[StoreKey(key)] == .some(value))
            }
        }
    }
}
