import CarePlanStandard
import Foundation
import RenkeiCrypto
public import RenkeiModel
import RenkeiStore

/// One file of an upload: its name as the care software wrote it, and its bytes.
public struct UploadFile: Hashable, Sendable {
    /// The file name (not a path): a standard CSV name, or an attachment's name.
    public var name: String
    /// The bytes.
    public var bytes: [UInt8]

    /// A file.
    public init(name: String, bytes: [UInt8]) {
        self.name = name
        self.bytes = bytes
    }
}

/// A send unit as an office uploads it: the recipient, the files, the canonical manifest and the office's
/// CMS signature over it, and the client's idempotency key.
public struct UploadRequest: Hashable, Sendable {
    /// The recipient's 事業所番号.
    public var recipient: OfficeNumber
    /// The files.
    public var files: [UploadFile]
    /// The canonical manifest bytes (`SendUnitManifest.canonicalBytes`) the signature is over.
    public var manifest: [UInt8]
    /// The CMS SignedData, DER.
    public var signature: [UInt8]
    /// Chosen by the client, 1 to 64 printable ASCII characters: the same key from the same sender returns
    /// the first receipt and stores nothing new.
    public var idempotencyKey: String
    /// Where the request came from, as the server saw it (the network peer); recorded with the upload or
    /// its refusal, so that an office's audit shows which host acted under its certificate. Empty in process.
    public var origin: String

    /// A request.
    public init(recipient: OfficeNumber, files: [UploadFile], manifest: [UInt8], signature: [UInt8], idempotencyKey: String, origin: String = "") {
        self.recipient = recipient
        self.files = files
        self.manifest = manifest
        self.signature = signature
        self.idempotencyKey = idempotencyKey
        self.origin = Origin.bounded(origin)
    }
}

/// A request's origin as recorded: printable ASCII, at most 64 characters (a transport's peer description,
/// such as ipv4:192.0.2.7:50412 or ipv6:[2001:db8::7]:50412); anything else is recorded as "?".
public enum Origin {
    public static func bounded(_ origin: String) -> String {
        guard origin.utf8.count <= 64, origin.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else { return "?" }
        return origin
    }
}

/// What the checks that need no store made of an upload: the event's body, the files to store, and the
/// signer. The server is the authority: it checks whatever the client checked before.
struct InspectedUpload: Sendable {
    var event: PBSendUnitUploaded
    var blobs: [PreparedBlob]
    var signer: VerifiedIdentity

    /// The attachments the real system allows beside the CSV files, by extension, with the bytes they
    /// must start with.
    static let attachmentKinds: [(extensions: [String], kind: String, magic: [UInt8])] = [
        (["pdf"], "PDF", Array("%PDF-".utf8)),
        (["jpg", "jpeg"], "JPEG", [0xFF, 0xD8, 0xFF]),
        (["png"], "PNG", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]),
    ]

    /// Runs every check that needs no store, cheapest first; throws the refusal. When `timed`, also returns
    /// the CPU time of the checks and of the signature's.
    static func inspect(_ request: UploadRequest, sender: OfficeNumber, store: any EventStore,
                        configuration: PlatformConfiguration, signers: VerifiedSignerCache, dictionaries: [String: UInt32],
                        now: Timestamp, timed: Bool = false) throws -> (InspectedUpload, stages: (validate: Int, verify: Int)?) {
        let started = timed ? UploadStatistics.threadCPU() : 0
        let key = request.idempotencyKey
        guard (1...64).contains(key.utf8.count), key.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw DomainError(.invalidArgument, "the idempotency key: 1 to 64 printable ASCII characters")
        }
        guard request.recipient != sender else { throw DomainError(.sameOffice, sender.rawValue) }
        guard (1...SendUnitManifest.maximumFiles).contains(request.files.count) else {
            throw DomainError(.invalidArgument, "a send unit has 1 to \(SendUnitManifest.maximumFiles) files, not \(request.files.count)")
        }
        let total = request.files.reduce(0) { $0 + $1.bytes.count }
        guard total <= configuration.maximumUnitBytes else {
            throw DomainError(.invalidArgument, "the files hold \(total) bytes; a send unit holds at most \(configuration.maximumUnitBytes)")
        }
        let manifest: SendUnitManifest
        do { manifest = try SendUnitManifest(canonicalBytes: request.manifest) } catch {
            throw DomainError(.manifestMismatch, error.reason)
        }
        guard manifest.sender == sender.rawValue, manifest.recipient == request.recipient.rawValue else {
            throw DomainError(.manifestMismatch, "the manifest is from \(manifest.sender) to \(manifest.recipient), the upload from \(sender) to \(request.recipient)")
        }

        // Each file: its name's rule, its kind, then its bytes against the manifest.
        var names: [FileName] = []
        var csv: [CheckInput] = []
        var entries: [PBFileEntry] = []
        var blobs: [PreparedBlob] = []
        let listed = Dictionary(manifest.files.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        guard Set(request.files.map(\.name)).count == request.files.count, listed.count == request.files.count else {
            throw DomainError(.manifestMismatch, "the manifest lists \(manifest.files.count) files, the upload has \(request.files.count) (or two share a name)")
        }
        for file in request.files {
            guard let entry = listed[file.name] else { throw DomainError(.manifestMismatch, "\(file.name) is not in the manifest") }
            let kind: String
            let isCSV = file.name.uppercased().hasSuffix(".CSV")
            if let name = try? FileName.parse(file.name, definition: configuration.checker.definition) {
                guard name.sender == sender, name.recipient == request.recipient else {
                    throw DomainError(.fileNameMismatch, "\(file.name) is from \(name.sender) to \(name.recipient)")
                }
                guard name.serialText == manifest.unitNumber else {
                    throw DomainError(.unitMismatch, "\(file.name) has 連番 \(name.serialText), the unit \(manifest.unitNumber)")
                }
                names.append(name)
                if isCSV {
                    csv.append(CheckInput(name: file.name, parsed: name, source: .bytes(file.bytes)))
                } else {
                    // The standard's own image kind (UPKIHON_IMAGE): a JPEG under a standard name.
                    _ = try attachmentKind(file, maximumBytes: configuration.maximumAttachmentBytes)
                }
                kind = name.kind.rawValue
            } else if isCSV {
                do { _ = try FileName.parse(file.name, definition: configuration.checker.definition) } catch {
                    throw DomainError(.validationFailed, "\(file.name): NAME-1 \(error.reason)")
                }
                throw DomainError(.validationFailed, "\(file.name): NAME-1")
            } else {
                kind = try attachmentKind(file, maximumBytes: configuration.maximumAttachmentBytes)
            }
            let blob = try store.prepareBlob(file.bytes, kind: kind, dictionaryID: dictionaries[kind])
            guard entry.kind == kind, entry.size == UInt64(file.bytes.count), entry.sha256 == blob.hash.hex else {
                throw DomainError(.manifestMismatch, "\(file.name): the manifest says \(entry.kind), \(entry.size) bytes, \(entry.sha256.prefix(12))…; the file is \(kind), \(file.bytes.count) bytes, \(blob.hash.hex.prefix(12))…")
            }
            var fileEntry = PBFileEntry()
            fileEntry.kind = kind
            fileEntry.name = file.name
            fileEntry.size = UInt64(file.bytes.count)
            fileEntry.sha256 = Data(blob.hash.bytes)
            entries.append(fileEntry)
            blobs.append(blob)
        }
        guard !names.isEmpty, let definition = SendUnit(files: names).matchingDefinition(in: configuration.checker.definition) else {
            throw DomainError(.unitMismatch, "no send unit of the standard is made of \(names.map(\.kind.rawValue).sorted().joined(separator: ", "))")
        }
        let months = Set(names.compactMap(\.monthSegment).filter { $0 != "000000" })
        guard months.count <= 1 else { throw DomainError(.unitMismatch, "the files name several service months: \(months.sorted().joined(separator: ", "))") }

        // The standard's rules, on every CSV file and on the unit they form.
        let report = configuration.checker.check(csv)
        if report.hasErrors {
            let first = report.findings.filter { $0.level == .error }.prefix(3).map { finding in
                "\(finding.file)\(finding.line.map { ":\($0)" } ?? "")\(finding.column.map { ":\($0)" } ?? "") \(finding.code) \(finding.messageEN)"
            }
            throw DomainError(.validationFailed, "\(report.errorCount) errors: \(first.joined(separator: "; "))",
                              findings: report.findings.filter { $0.level == .error })
        }

        // The signature, last: the dearest check.
        let validated = timed ? UploadStatistics.threadCPU() : 0
        let signer: VerifiedIdentity
        do {
            signer = try SendUnitSignature(der: request.signature).verify(
                manifest: request.manifest, sender: sender.rawValue, trustStore: configuration.trustStore,
                at: Date(timeIntervalSince1970: Double(now.rawValue) / 1_000_000), cache: signers)
        } catch {
            throw DomainError(error.code == .signerNotSender ? .signerNotSender : .signatureInvalid, error.description)
        }

        var event = PBSendUnitUploaded()
        event.sender = sender.rawValue
        event.recipient = request.recipient.rawValue
        event.unitType = unitType(of: definition.id)
        event.serviceMonth = months.first ?? ""
        event.unitNumber = manifest.unitNumber
        event.files = entries.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        event.signatureDer = Data(request.signature)
        event.signerSerial = signer.serialNumber.hex
        event.idempotencyKey = key
        event.origin = request.origin
        event.definitionID = definition.id
        event.manifestSha256 = Data(SHA256.hash(request.manifest).bytes)
        let inspected = InspectedUpload(event: event, blobs: blobs, signer: signer)
        guard timed else { return (inspected, nil) }
        let verified = UploadStatistics.threadCPU()
        return (inspected, (validated - started, verified - validated))
    }

    /// An attachment's kind, from its extension, if its bytes start as that kind's do and it is within
    /// the bound.
    static func attachmentKind(_ file: UploadFile, maximumBytes: Int) throws -> String {
        guard file.name.utf8.count <= 128, let dot = file.name.lastIndex(of: "."),
              let match = attachmentKinds.first(where: { $0.extensions.contains(file.name[file.name.index(after: dot)...].lowercased()) }) else {
            throw DomainError(.attachmentInvalid, "\(file.name) is neither a standard CSV file name nor a PDF, JPEG or PNG attachment")
        }
        if let problem = PortableFileName.problem(file.name) {
            throw DomainError(.attachmentInvalid, "\(file.name.debugDescription): \(problem)")
        }
        guard file.bytes.starts(with: match.magic) else {
            throw DomainError(.attachmentInvalid, "\(file.name) does not hold \(match.kind) data")
        }
        guard file.bytes.count <= maximumBytes else {
            throw DomainError(.attachmentInvalid, "\(file.name) has \(file.bytes.count) bytes; an attachment has at most \(maximumBytes)")
        }
        return match.kind
    }

    /// The kind of unit a layouts.json send unit is.
    static func unitType(of definitionID: String) -> PBUnitType {
        if definitionID.hasSuffix("_DELETE") { return .deletion }
        switch definitionID {
        case "KYOTAKU_USAGE", "YOBO_USAGE": return .plan
        case "SERVICE_ACTUAL", "YOBO_ACTUAL": return .actual
        default: return .carePlan
        }
    }

    /// Whether an office that plans care (or not) sends this unit: care-management offices send 予定, 計画書
    /// and their deletions; service offices send 実績 and its deletion.
    static func sendsInDirection(_ event: PBSendUnitUploaded, plansCare: Bool) -> Bool {
        let fromServiceOffice = event.unitType == .actual || event.definitionID.hasSuffix("ACTUAL_DELETE")
        return fromServiceOffice != plansCare
    }
}
