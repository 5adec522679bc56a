import RenkeiStore
import Testing

@Suite struct RequestIDTests {
    /// New request ids never repeat (from many tasks at once), are never the platform's own `none`, and
    /// survive their 16 bytes.
    @Test func newRequestIDsAreDistinct() async {
        let ids = await withTaskGroup(of: [RequestID].self) { group in
            for _ in 0..<8 { group.addTask { (0..<5_000).map { _ in RequestID.random() } } }
            return await group.reduce(into: []) { $0 += $1 }
        }
        #expect(Set(ids).count == ids.count)
        #expect(!ids.contains(.none))
        #expect(ids.allSatisfy { RequestID(bytes: $0.bytes) == $0 })
    }
}
