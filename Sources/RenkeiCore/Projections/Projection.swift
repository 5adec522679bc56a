public import RenkeiStore

/// A projection: a deterministic fold of the log into its own key spaces. The same event applied to the
/// same state always makes the same changes, so a rebuild from the log equals the live projection byte
/// for byte.
protocol Projection: Sendable {
    /// Its name in the `_applied` key space.
    var name: String { get }
    /// The key spaces it owns (no other projection writes them).
    var keySpaces: [KeySpace] { get }
    /// The keys `apply` reads for `event`: a command prefetches them from its snapshot, and its write
    /// requires them unchanged when it commits.
    func reads(for event: DomainEvent) -> [StateKey]
    /// Folds one event (nil: a kind this version does not know) into `state`.
    func apply(_ event: DomainEvent?, envelope: EventEnvelope, to state: inout some ProjectionState) throws
}

/// The projections' key spaces, by name.
public enum ProjectionSpaces {
    // Names are fixed: they are the key spaces of every existing store.
    static func space(_ name: String) -> KeySpace { try! KeySpace(name) }

    /// Offices by 事業所番号.
    public static let offices = space("offices")
    /// The directory's indexes (by name, by prefecture and service kind).
    public static let directory = space("directory")
    /// Licences by 事業所番号.
    public static let licenses = space("licenses")
    /// Certificates by serial, by office and by expiry.
    public static let certificates = space("certificates")
    /// Send units by the sequence of their upload.
    public static let units = space("units")
    /// Each office's inbox and sent list.
    public static let mailboxes = space("mailboxes")
    /// Units and files sent and received, by office and month, and by month and prefecture.
    public static let usage = space("usage")
    /// Idempotency keys by sender.
    public static let idempotency = space("idempotency")
    /// Every event by office and by time.
    public static let audit = space("audit")
    /// Licence charges by office and fiscal year.
    public static let billing = space("billing")
    /// Platform settings: retention policy, trusted issuers, dictionaries, the latest checkpoint.
    public static let platform = space("platform")

    /// Every projection key space; open a store with these declared.
    public static let all: [KeySpace] = [offices, directory, licenses, certificates, units, mailboxes, usage,
                                         idempotency, audit, billing, platform]
}

/// The projections, in the order they fold each event.
let allProjections: [any Projection] = [ExchangeProjection(), OfficesProjection(), UsageProjection(), AuditProjection(),
                                        BillingProjection(), PlatformSettingsProjection()]

/// One lane of a rebuild: projections folded in order on a task of their own. Lanes share no key space and
/// read none of another's. A lane with a `share` folds only the events of its share of the send units —
/// the exchange projection reads and writes only the keys of the unit an event concerns, so its fold
/// splits by unit, and the largest projection does not hold the others up.
struct RebuildLane: Sendable {
    let projections: [any Projection]
    /// This lane's unit share: units whose sequence modulo `count` is `index`.
    let share: (index: UInt64, count: UInt64)?

    /// Whether this lane folds `event`.
    func folds(_ event: DomainEvent?, envelope: EventEnvelope) -> Bool {
        guard let share else { return true }
        guard let unit = ExchangeProjection.unit(of: event, envelope: envelope) else { return false }
        return unit % share.count == share.index
    }

    /// The lanes: the exchange in two shares of the units, usage, and the rest.
    static let all: [RebuildLane] = [
        RebuildLane(projections: [ExchangeProjection()], share: (0, 2)),
        RebuildLane(projections: [ExchangeProjection()], share: (1, 2)),
        RebuildLane(projections: [UsageProjection()], share: nil),
        RebuildLane(projections: [OfficesProjection(), AuditProjection(), BillingProjection(), PlatformSettingsProjection()], share: nil),
    ]
}
