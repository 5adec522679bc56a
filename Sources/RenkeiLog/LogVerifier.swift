public import RenkeiCrypto
import RenkeiMerkle
import RenkeiModel

/// The outcome of checking a log from its first record to its last.
public struct LogVerification: Sendable, Hashable {
    /// Records checked.
    public let records: UInt64
    /// The Merkle root recomputed from the records, equal to the stored tree's root.
    public let root: SHA256Digest
}

extension EventLog {
    /// Reads every record at one snapshot and checks that sequence numbers run densely from 1, that every
    /// header parses and every body decompresses to its stated length, that each stored Merkle leaf is the
    /// hash of its record, and that the root recomputed from the records alone equals the stored tree's.
    ///
    /// - Parameter progress: called every `progressInterval` records with the number checked so far.
    /// - Throws: `LogError` `.corrupt` naming the first record that fails.
    public func verify(progressInterval: UInt64 = 100_000, progress: ((UInt64) -> Void)? = nil) throws -> LogVerification {
        try read { snapshot in
            let latest = try snapshot.latestSequence()
            let nodes = StoredMerkleNodes(transaction: snapshot.transaction, database: store.merkle)
            var frontier = MerkleFrontier()
            var expected = SequenceNumber.first
            try snapshot.scan(from: .first) { sequence, raw in
                guard sequence == expected else {
                    throw LogError(.corrupt, "sequence \(expected) is missing (next present: \(sequence))", sequence: expected)
                }
                guard let header = RecordHeader(parsing: raw) else {
                    throw LogError(.corrupt, "unreadable record header", sequence: sequence)
                }
                let record = LogRecord(sequence: sequence, header: header, bytes: Array(raw))
                _ = try snapshot.body(of: record)
                let leaf = MerkleHash.leaf(raw)
                let stored = try nodes.hash(of: MerkleNodeID(level: 0, index: sequence.rawValue - 1))
                guard stored == leaf else {
                    throw LogError(.corrupt, "the stored Merkle leaf differs from the record's hash", sequence: sequence)
                }
                frontier.append(leafHash: leaf) { _, _ in }
                if let progress, sequence.rawValue % progressInterval == 0 { progress(sequence.rawValue) }
                expected = expected.next
                return true
            }
            guard frontier.size == latest.rawValue else {
                throw LogError(.corrupt, "\(frontier.size) records read but the log ends at \(latest)")
            }
            let storedRoot = try MerkleTree(nodes: nodes).root(size: latest.rawValue)
            guard storedRoot == frontier.root else {
                throw LogError(.corrupt, "the stored Merkle tree's root differs from the root of the records")
            }
            return LogVerification(records: latest.rawValue, root: frontier.root)
        }
    }
}
