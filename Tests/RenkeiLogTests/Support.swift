import Foundation
import RenkeiCrypto
import RenkeiLog
import RenkeiModel

/// A fresh folder under the system's temporary directory, removed when the test ends.
final class TemporaryFolder: Sendable {
    let path: String
    init() {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("renkei-log-\(UUID().uuidString)").path
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

let uploadKind = EventKind(rawValue: 7)

/// A care-plan-like CSV body that differs with `tag`.
func csvBody(_ tag: String, lines: Int = 3) -> [UInt8] {
    Array((0..<lines).map { "202407,1310000001,139999,\(tag),202506,\($0),\"訪問介護 \(tag)\"\r\n" }.joined().utf8)
}

/// RFC 9162's MTH over leaf hashes, recursively: the reference for roots the log reports.
func referenceRoot(_ leaves: ArraySlice<SHA256Digest>) -> SHA256Digest {
    switch leaves.count {
    case 0: return SHA256.hash([UInt8]())
    case 1: return leaves.first!
    default:
        var k = 1
        while k << 1 < leaves.count { k <<= 1 }
        let mid = leaves.startIndex + k
        return SHA256.hash([1] + referenceRoot(leaves[..<mid]).bytes + referenceRoot(leaves[mid...]).bytes)
    }
}

func leafHash(_ record: LogRecord) -> SHA256Digest { SHA256.hash([0] + record.bytes) }
