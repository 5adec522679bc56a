public import RenkeiModel
import RenkeiStore
import SwiftProtobuf

extension EventKind {
    // Offices
    public static let registrationRequested = EventKind(rawValue: 101)
    public static let registrationApproved = EventKind(rawValue: 102)
    public static let registrationRejected = EventKind(rawValue: 103)
    public static let officeDetailsChanged = EventKind(rawValue: 104)
    public static let officeDeregistered = EventKind(rawValue: 105)
    // Licences
    public static let licenseActivated = EventKind(rawValue: 201)
    public static let licenseRenewed = EventKind(rawValue: 202)
    public static let licenseCancelled = EventKind(rawValue: 203)
    public static let licenseExpired = EventKind(rawValue: 204)
    public static let licenseSuspended = EventKind(rawValue: 205)
    public static let licenseReinstated = EventKind(rawValue: 206)
    // Certificates
    public static let certificateIssued = EventKind(rawValue: 301)
    public static let certificateRevoked = EventKind(rawValue: 302)
    public static let trustedIssuerAdded = EventKind(rawValue: 303)
    public static let trustedIssuerRemoved = EventKind(rawValue: 304)
    // Exchange
    public static let sendUnitUploaded = EventKind(rawValue: 401)
    public static let sendUnitRefused = EventKind(rawValue: 402)
    public static let sendUnitDownloaded = EventKind(rawValue: 403)
    public static let sendUnitWithdrawn = EventKind(rawValue: 404)
    public static let payloadPurged = EventKind(rawValue: 405)
    // Platform
    public static let dictionaryInstalled = EventKind(rawValue: 501)
    public static let checkpointSigned = EventKind(rawValue: 502)
    public static let retentionPolicySet = EventKind(rawValue: 503)
}

/// A domain event: its kind and its protobuf body (renkei_log.proto). The store sees only the kind number
/// and the body's bytes; this is how the domain reads them back.
public indirect enum DomainEvent: Hashable, Sendable {
    case registrationRequested(PBRegistrationRequested)
    case registrationApproved(PBRegistrationApproved)
    case registrationRejected(PBRegistrationRejected)
    case officeDetailsChanged(PBOfficeDetailsChanged)
    case officeDeregistered(PBOfficeDeregistered)
    case licenseActivated(PBLicenseActivated)
    case licenseRenewed(PBLicenseRenewed)
    case licenseCancelled(PBLicenseCancelled)
    case licenseExpired(PBLicenseExpired)
    case licenseSuspended(PBLicenseSuspended)
    case licenseReinstated(PBLicenseReinstated)
    case certificateIssued(PBCertificateIssued)
    case certificateRevoked(PBCertificateRevoked)
    case trustedIssuerAdded(PBTrustedIssuerAdded)
    case trustedIssuerRemoved(PBTrustedIssuerRemoved)
    case sendUnitUploaded(PBSendUnitUploaded)
    case sendUnitRefused(PBSendUnitRefused)
    case sendUnitDownloaded(PBSendUnitDownloaded)
    case sendUnitWithdrawn(PBSendUnitWithdrawn)
    case payloadPurged(PBPayloadPurged)
    case dictionaryInstalled(PBDictionaryInstalled)
    case checkpointSigned(PBCheckpointSigned)
    case retentionPolicySet(PBRetentionPolicySet)

    /// The kind number stored in the envelope.
    public var kind: EventKind {
        switch self {
        case .registrationRequested: .registrationRequested
        case .registrationApproved: .registrationApproved
        case .registrationRejected: .registrationRejected
        case .officeDetailsChanged: .officeDetailsChanged
        case .officeDeregistered: .officeDeregistered
        case .licenseActivated: .licenseActivated
        case .licenseRenewed: .licenseRenewed
        case .licenseCancelled: .licenseCancelled
        case .licenseExpired: .licenseExpired
        case .licenseSuspended: .licenseSuspended
        case .licenseReinstated: .licenseReinstated
        case .certificateIssued: .certificateIssued
        case .certificateRevoked: .certificateRevoked
        case .trustedIssuerAdded: .trustedIssuerAdded
        case .trustedIssuerRemoved: .trustedIssuerRemoved
        case .sendUnitUploaded: .sendUnitUploaded
        case .sendUnitRefused: .sendUnitRefused
        case .sendUnitDownloaded: .sendUnitDownloaded
        case .sendUnitWithdrawn: .sendUnitWithdrawn
        case .payloadPurged: .payloadPurged
        case .dictionaryInstalled: .dictionaryInstalled
        case .checkpointSigned: .checkpointSigned
        case .retentionPolicySet: .retentionPolicySet
        }
    }

    /// The body's bytes (deterministic: the same event always has the same bytes).
    public func body() throws -> [UInt8] {
        var options = BinaryEncodingOptions()
        options.useDeterministicOrdering = true
        return try message.serializedBytes(options: options)
    }

    /// A line for people (the audit's summary; an auditor's verifier recomputes it from the record).
    public var summary: String {
        switch self {
        case .sendUnitUploaded(let e): "\(e.sender) → \(e.recipient) 連番 \(e.unitNumber) \(e.serviceMonth) \(e.files.count) files" + Self.from(e.origin)
        case .sendUnitRefused(let e): "\(e.sender) → \(e.recipient) refused [\(e.code)] \(e.reason.prefix(200))" + Self.from(e.origin)
        case .sendUnitDownloaded(let e): "unit \(e.unit) downloaded by \(e.recipient)" + Self.from(e.origin)
        case .sendUnitWithdrawn(let e): "unit \(e.unit) withdrawn by \(e.sender): \(e.reason.prefix(200))"
        case .payloadPurged(let e): "unit \(e.unit) files purged (\(e.reason))"
        case .registrationRequested(let e): "\(e.officeNumber) \(e.name) applied"
        case .registrationApproved(let e): "\(e.officeNumber) approved"
        case .registrationRejected(let e): "\(e.officeNumber) rejected: \(e.reason.prefix(200))"
        case .certificateIssued(let e): "certificate \(e.serial) for \(e.role) \(e.officeNumber)"
        case .certificateRevoked(let e): "certificate \(e.serial) revoked: \(e.reason.prefix(200))"
        case .checkpointSigned(let e): "checkpoint at tree size \(e.treeSize)"
        default: ""
        }
    }

    /// The origin a summary ends with, when the event records one.
    public var origin: String {
        switch self {
        case .sendUnitUploaded(let e): e.origin
        case .sendUnitRefused(let e): e.origin
        case .sendUnitDownloaded(let e): e.origin
        default: ""
        }
    }

    private static func from(_ origin: String) -> String { origin.isEmpty ? "" : " from \(origin)" }

    /// The body as protobuf JSON (for dumps and people; not canonical).
    public var json: String { (try? message.jsonString()) ?? "{}" }

    var message: any SwiftProtobuf.Message {
        switch self {
        case .registrationRequested(let m): m
        case .registrationApproved(let m): m
        case .registrationRejected(let m): m
        case .officeDetailsChanged(let m): m
        case .officeDeregistered(let m): m
        case .licenseActivated(let m): m
        case .licenseRenewed(let m): m
        case .licenseCancelled(let m): m
        case .licenseExpired(let m): m
        case .licenseSuspended(let m): m
        case .licenseReinstated(let m): m
        case .certificateIssued(let m): m
        case .certificateRevoked(let m): m
        case .trustedIssuerAdded(let m): m
        case .trustedIssuerRemoved(let m): m
        case .sendUnitUploaded(let m): m
        case .sendUnitRefused(let m): m
        case .sendUnitDownloaded(let m): m
        case .sendUnitWithdrawn(let m): m
        case .payloadPurged(let m): m
        case .dictionaryInstalled(let m): m
        case .checkpointSigned(let m): m
        case .retentionPolicySet(let m): m
        }
    }

    /// Decodes a stored event for a rebuild: the kinds a log holds most of leave out the fields no projection
    /// folds (`FoldedRecord`); nil for a kind this version does not know.
    init?(foldingKind kind: EventKind, body: [UInt8]) throws {
        switch kind {
        case .sendUnitUploaded: self = .sendUnitUploaded(try .init(foldedBytes: body))
        case .sendUnitDownloaded: self = .sendUnitDownloaded(try .init(foldedBytes: body))
        case .sendUnitRefused: self = .sendUnitRefused(try .init(foldedBytes: body))
        default: try self.init(kind: kind, body: body)
        }
    }

    /// Decodes a stored event; nil for a kind this version does not know (a later version's event), which
    /// projections skip. Throws when a known kind's body does not decode.
    public init?(kind: EventKind, body: [UInt8]) throws {
        switch kind {
        case .registrationRequested: self = .registrationRequested(try .init(serializedBytes: body))
        case .registrationApproved: self = .registrationApproved(try .init(serializedBytes: body))
        case .registrationRejected: self = .registrationRejected(try .init(serializedBytes: body))
        case .officeDetailsChanged: self = .officeDetailsChanged(try .init(serializedBytes: body))
        case .officeDeregistered: self = .officeDeregistered(try .init(serializedBytes: body))
        case .licenseActivated: self = .licenseActivated(try .init(serializedBytes: body))
        case .licenseRenewed: self = .licenseRenewed(try .init(serializedBytes: body))
        case .licenseCancelled: self = .licenseCancelled(try .init(serializedBytes: body))
        case .licenseExpired: self = .licenseExpired(try .init(serializedBytes: body))
        case .licenseSuspended: self = .licenseSuspended(try .init(serializedBytes: body))
        case .licenseReinstated: self = .licenseReinstated(try .init(serializedBytes: body))
        case .certificateIssued: self = .certificateIssued(try .init(serializedBytes: body))
        case .certificateRevoked: self = .certificateRevoked(try .init(serializedBytes: body))
        case .trustedIssuerAdded: self = .trustedIssuerAdded(try .init(serializedBytes: body))
        case .trustedIssuerRemoved: self = .trustedIssuerRemoved(try .init(serializedBytes: body))
        case .sendUnitUploaded: self = .sendUnitUploaded(try .init(recordBytes: body))
        case .sendUnitRefused: self = .sendUnitRefused(try .init(recordBytes: body))
        case .sendUnitDownloaded: self = .sendUnitDownloaded(try .init(recordBytes: body))
        case .sendUnitWithdrawn: self = .sendUnitWithdrawn(try .init(serializedBytes: body))
        case .payloadPurged: self = .payloadPurged(try .init(serializedBytes: body))
        case .dictionaryInstalled: self = .dictionaryInstalled(try .init(serializedBytes: body))
        case .checkpointSigned: self = .checkpointSigned(try .init(serializedBytes: body))
        case .retentionPolicySet: self = .retentionPolicySet(try .init(serializedBytes: body))
        default: return nil
        }
    }

    /// The offices an event concerns (for the audit by office): the actor's office and those named in the body.
    public var offices: [String] {
        switch self {
        case .registrationRequested(let m): [m.officeNumber]
        case .registrationApproved(let m): [m.officeNumber]
        case .registrationRejected(let m): [m.officeNumber]
        case .officeDetailsChanged(let m): [m.officeNumber]
        case .officeDeregistered(let m): [m.officeNumber]
        case .licenseActivated(let m): [m.officeNumber]
        case .licenseRenewed(let m): [m.officeNumber]
        case .licenseCancelled(let m): [m.officeNumber]
        case .licenseExpired(let m): [m.officeNumber]
        case .licenseSuspended(let m): [m.officeNumber]
        case .licenseReinstated(let m): [m.officeNumber]
        case .certificateIssued(let m): m.officeNumber.isEmpty ? [] : [m.officeNumber]
        case .sendUnitUploaded(let m): [m.sender, m.recipient]
        case .sendUnitRefused(let m): [m.sender]
        case .sendUnitDownloaded(let m): [m.recipient, m.sender].filter { !$0.isEmpty }
        case .sendUnitWithdrawn(let m): [m.sender, m.recipient].filter { !$0.isEmpty }
        case .payloadPurged(let m): [m.sender, m.recipient].filter { !$0.isEmpty }
        case .certificateRevoked, .trustedIssuerAdded, .trustedIssuerRemoved,
             .dictionaryInstalled, .checkpointSigned, .retentionPolicySet: []
        }
    }
}

extension EventKind {
    /// The kind's name, as API.md lists it (e.g. "sendUnitUploaded"); nil for a kind this code does not know.
    public var name: String? { Self.names[rawValue] }

    static let names: [UInt16: String] = [
        101: "registrationRequested",
        102: "registrationApproved",
        103: "registrationRejected",
        104: "officeDetailsChanged",
        105: "officeDeregistered",
        201: "licenseActivated",
        202: "licenseRenewed",
        203: "licenseCancelled",
        204: "licenseExpired",
        205: "licenseSuspended",
        206: "licenseReinstated",
        301: "certificateIssued",
        302: "certificateRevoked",
        303: "trustedIssuerAdded",
        304: "trustedIssuerRemoved",
        401: "sendUnitUploaded",
        402: "sendUnitRefused",
        403: "sendUnitDownloaded",
        404: "sendUnitWithdrawn",
        405: "payloadPurged",
        501: "dictionaryInstalled",
        502: "checkpointSigned",
        503: "retentionPolicySet",
    ]
}
