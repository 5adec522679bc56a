import RenkeiCrypto
import Synchronization
import RenkeiModel
public import RenkeiStore

/// The platform's domain: it turns commands into events and folds events into projections, through the
/// storage protocol only. Every command is decided against a snapshot; its write carries what the
/// decision read as preconditions, so a concurrent change makes it decide again rather than act on stale
/// state. The projections' changes are made in the same write as their events.
public final class Platform: Sendable {
    /// The key spaces a store must declare for the platform.
    public static let keySpaces = ProjectionSpaces.all

    /// The store the log and projections live in.
    public let store: any EventStore
    /// How commands are judged.
    public let configuration: PlatformConfiguration
    let projections: [any Projection]
    /// The dictionary of each file kind, once read (nil: read it again).
    let dictionaries = Mutex<[String: UInt32]?>(nil)
    /// Signers whose chains the trust store verified: each certificate's chain is verified once.
    let signers = VerifiedSignerCache()
    /// Where accepted uploads spent their time.
    public let statistics = UploadStatistics()

    /// The platform over `store`, which must declare `Platform.keySpaces`.
    public init(store: any EventStore, configuration: PlatformConfiguration) throws(DomainError) {
        let missing = Set(Self.keySpaces).subtracting(store.keySpaces)
        guard missing.isEmpty else {
            throw DomainError(.invalidArgument, "the store does not declare \(missing.map(\.name).sorted().joined(separator: ", "))")
        }
        self.store = store
        self.configuration = configuration
        projections = allProjections
    }

    /// Today in Japan, by the platform's clock.
    var today: CivilDay { CivilDay(configuration.clock()) }

    /// Decides a command against a snapshot and commits its decision, deciding again (up to
    /// `maximumAttempts`) when a concurrent write changed what it read. `decide` may be called more than
    /// once and must not have effects outside the decision.
    func execute<Result: Sendable>(
        by actor: Actor, request: RequestID,
        _ decide: @Sendable (inout Decision, DecisionReader) async throws -> Result
    ) async throws -> (result: Result, receipt: CommitReceipt?) {
        for _ in 0..<configuration.maximumAttempts {
            let (result, write) = try await store.read { snapshot in
                let reader = DecisionReader(snapshot: snapshot)
                var decision = Decision()
                let result = try await decide(&decision, reader)
                guard !decision.isEmpty else { return (result, StoreWrite?.none) }
                try await reader.prefetch(decision.events.flatMap { event in projections.flatMap { $0.reads(for: event) } })
                return (result, try makeWrite(decision, reads: reader.reads, actor: actor, request: request))
            }
            guard let write else { return (result, nil) }
            do {
                return (result, try await store.commit(write))
            } catch let error as StoreError where error.code == .conditionFailed {
                continue
            }
        }
        throw DomainError(.busy, "gave up after \(configuration.maximumAttempts) attempts")
    }

    /// The write of a decision: its preconditions (every value it read, unchanged), its events, files and
    /// changes, and the projections' changes, folded on the writer once the events have their sequence
    /// numbers and times.
    private func makeWrite(_ decision: Decision, reads: [StateKey: [UInt8]?], actor: Actor, request: RequestID) throws -> StoreWrite {
        let events = decision.events
        let newEvents = try events.map { NewEvent(kind: $0.kind, body: try $0.body(), actor: actor, requestID: request) }
        var conditions = decision.conditions
        for (key, value) in reads {
            conditions.append(.unchanged(key.space, key: key.key, value: value))
        }
        let projections = projections
        return StoreWrite(
            conditions: conditions, events: newEvents, blobs: decision.blobs, releasedBlobs: decision.releasedBlobs,
            dictionaries: decision.dictionaries, changes: decision.changes,
            derivedChanges: { context in
                var state = LiveProjectionState(prefetched: reads)
                for (event, envelope) in zip(events, context.events) {
                    for projection in projections { try projection.apply(event, envelope: envelope, to: &state) }
                }
                var changes = state.changes
                if let last = context.events.last?.sequence {
                    for projection in projections { changes.append(.recordApplied(projection.name, through: last)) }
                }
                return changes
            }
        )
    }

    /// Runs a command whose decision appends events, and returns the sequence of its last event.
    func decideAndCommit(by actor: Actor, request: RequestID,
                         _ decide: @Sendable (inout Decision, DecisionReader) async throws -> Void) async throws(DomainError) -> SequenceNumber {
        try await guarded {
            guard let receipt = try await execute(by: actor, request: request, decide).receipt else {
                throw DomainError(.storage, "the command decided no change")
            }
            return receipt.latestSequence
        }
    }

    /// Runs a command over the entries of `space` in `lowerBound ..< upperBound`, a page at a time — each
    /// page decided and committed on its own — and returns what `decide` returned for each entry, in order.
    func sweep<Item: Sendable>(
        _ space: KeySpace, from lowerBound: [UInt8]? = nil, to upperBound: [UInt8]? = nil, pageSize: Int,
        by actor: Actor, request: RequestID,
        _ decide: @escaping @Sendable (KeyValue, inout Decision, DecisionReader) async throws -> [Item]
    ) async throws(DomainError) -> [Item] {
        var items: [Item] = []
        var next = lowerBound
        while true {
            let start = next
            let (page, last) = try await guarded {
                try await execute(by: actor, request: request) { decision, reader in
                    let entries = try await reader.snapshot.entries(in: space, from: start, to: upperBound, limit: pageSize)
                    var page: [Item] = []
                    for entry in entries { page += try await decide(entry, &decision, reader) }
                    return (page, entries.count == pageSize ? entries.last?.key : nil)
                }.result
            }
            items += page
            guard let last else { return items }
            next = last + [0]
        }
    }

    /// Appends `event` without preconditions (a refused attempt for the audit), with its projections.
    func record(_ event: DomainEvent, by actor: Actor, request: RequestID) async throws {
        _ = try await execute(by: actor, request: request) { decision, _ in decision.events.append(event) }
    }
}

/// What a command decided: its events, the files it stores or releases, and any preconditions beyond the
/// values it read.
struct Decision: Sendable {
    var events: [DomainEvent] = []
    var conditions: [StoreCondition] = []
    var blobs: [PreparedBlob] = []
    var releasedBlobs: [SHA256Digest] = []
    var changes: [KeyChange] = []
    var dictionaries: [[UInt8]] = []

    var isEmpty: Bool { events.isEmpty && changes.isEmpty }
}
