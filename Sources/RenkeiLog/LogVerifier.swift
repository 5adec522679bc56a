public import RenkeiCrypto
import RenkeiLMDB
import RenkeiMerkle
import RenkeiModel
import RenkeiStore

/// The outcome of checking a log from its first event to its last.
public struct LogVerification: Sendable, Hashable {
    /// Events checked.
    public let events: UInt64
    /// The Merkle root recomputed from the events, equal to the stored tree's root.
    public let root: SHA256Digest
}

extension LogStore {
    /// Checks the log as it was when the check began: sequence numbers run densely from 1, every envelope
    /// parses, every body decompresses to its stated length, each stored Merkle leaf is the hash of its
    /// canonical record, and the root recomputed from the events alone equals the stored tree's.
    ///
    /// Reads in chunks of `chunkSize` events, each in its own short read transaction (the log is
    /// append-only, so the chunks agree), so a whole-log check never pins pages for long.
    ///
    /// `layers` gives the acknowledged change sets LMDB does not hold yet (none for a read-only open).
    func verify(chunkSize: Int = 10_000, layers: () -> [ChangeSet] = { [] }, progress: ((UInt64, UInt64) -> Void)? = nil) throws -> LogVerification {
        func withView<R>(_ body: (StoreView) throws -> R) throws -> R {
            let published = layers()
            return try environment.read { txn in try body(StoreView(transaction: txn, store: self, published: published)) }
        }
        let target = try withView { try $0.latest() }
        var frontier = MerkleFrontier()
        var next = SequenceNumber.first
        while next <= target {
            try withView { view in
                let snapshot = LMDBSnapshot(view: view)
                let nodes = view.merkleNodes
                try snapshot.scan(from: next, limit: chunkSize) { sequence, raw in
                    guard sequence <= target else { return }
                    guard sequence == next else {
                        throw StoreError(.corrupt, "event \(next) is missing (next present: \(sequence))", sequence: next)
                    }
                    let event = try snapshot.decodeEvent(raw, sequence)
                    let leaf = MerkleHash.leaf(event.recordBytes)
                    guard try nodes.hash(of: MerkleNodeID(level: 0, index: sequence.rawValue - 1)) == leaf else {
                        throw StoreError(.corrupt, "the stored Merkle leaf differs from the event's hash", sequence: sequence)
                    }
                    frontier.append(leafHash: leaf) { _, _ in }
                    next = next.next
                }
            }
            if next <= target, frontier.size % UInt64(chunkSize) != 0 {
                throw StoreError(.corrupt, "event \(next) is missing", sequence: next)
            }
            progress?(frontier.size, target.rawValue)
        }
        let storedRoot = try withView { view in try MerkleTree(nodes: view.merkleNodes).root(size: target.rawValue) }
        guard storedRoot == frontier.root else {
            throw StoreError(.corrupt, "the stored Merkle tree's root differs from the root of the events")
        }
        return LogVerification(events: target.rawValue, root: frontier.root)
    }
}

extension LMDBEventStore {
    /// Checks the whole log (see `LMDBStoreReader.verify`); writing goes on meanwhile.
    ///
    /// - Parameter progress: called after each chunk with the events checked and the total.
    /// - Throws: `StoreError` `.corrupt` naming the first event that fails.
    public func verify(progress: ((UInt64, UInt64) -> Void)? = nil) throws -> LogVerification {
        do { return try store.verify(layers: { checkpointer.layers }, progress: progress) } catch { throw storeError(error) }
    }
}
