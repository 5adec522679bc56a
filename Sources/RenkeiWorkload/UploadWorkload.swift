import CarePlanStandard
import Foundation
public import RenkeiCore
public import RenkeiCrypto
import RenkeiModel
public import RenkeiStore
import Synchronization

/// Uploads through the platform's full path, in process, for benchmarks and load tools: a platform over
/// the given store with its own CA, the offices enrolled as an operator would, and a pool of distinct,
/// signed 実績 units of about 10 KiB (one service office's UPJSK for each of `units` service months), sent
/// by concurrent callers, each awaiting its receipt.
public final class UploadWorkload: Sendable {
    /// The platform under load.
    public let platform: Platform
    private let pool: [UploadRequest]
    private let sender: Actor
    private let counter = Atomic<Int>(0)

    /// Enrols the offices and signs `units` distinct units (the first service month is January 2027).
    public init(store: any EventStore, units: Int = 2_400) async throws {
        let (ca, configuration) = try Self.platformConfiguration()
        platform = try Platform(store: store, configuration: configuration)

        var files: [GeneratedFile] = []
        var month = YearMonth(year: 2027, month: 1)!
        for _ in 0..<units {
            guard let file = CarePlanGenerator(seed: 13, month: month).file(kind: .actual, approximateByteCount: 10 << 10) else { break }
            files.append(file)
            guard let next = month.next else { break }
            month = next
        }
        guard let first = files.first else { throw DomainError(.invalidArgument, "the generator made no 実績 file") }
        let from = first.name.sender, to = first.name.recipient
        let operatorActor = Actor.operator("workload")
        var credential: Credential?
        for (number, kind) in [(from, first.name.senderKind), (to, first.name.recipientKind)] {
            let details = OfficeDetails(name: "事業所 \(number)", serviceKinds: [kind ?? .careManagement], prefecture: 13)
            try await platform.requestRegistration(of: number, details: details, billingLoginID: "W\(number)", by: .office(number))
            try await platform.approveRegistration(of: number, by: operatorActor)
            try await platform.activateLicense(for: number, by: operatorActor)
            let key = try PrivateKey.generate()
            let identity = try OfficeIdentity(officeNumber: number.rawValue)
            let certificate = try ca.issueCertificate(for: try CertificateSigningRequest(key: key, identity: identity), identity: identity,
                                                      notBefore: Date() - 86_400, notAfter: Date() + 365 * 86_400)
            try await platform.recordCertificateIssued(certificate, by: operatorActor)
            if number == from { credential = try Credential(key: key, certificate: certificate, chain: [ca.intermediate]) }
        }
        pool = try files.map { file in
            let entry = try SendUnitManifest.File(kind: file.kind.rawValue, name: file.fileName, size: UInt64(file.bytes.count), sha256: SHA256.hash(file.bytes).hex)
            let manifest = try SendUnitManifest(sender: from.rawValue, recipient: to.rawValue, unitNumber: file.name.serialText, files: [entry])
            let signature = try SendUnitSignature.sign(manifest: manifest.canonicalBytes, key: credential!.key, certificate: credential!.certificate, chain: credential!.chain)
            return UploadRequest(recipient: to, files: [UploadFile(name: file.fileName, bytes: file.bytes)], manifest: manifest.canonicalBytes,
                                 signature: signature.der, idempotencyKey: "k")
        }
        sender = .office(from)
    }

    /// A fresh platform CA of its own (valid from yesterday, its CRL for 30 days) and a configuration that
    /// trusts it: for benchmarks and tools that run a platform in process.
    public static func platformConfiguration() throws -> (PlatformCA, PlatformConfiguration) {
        let ca = try PlatformCA.generate(name: "Renkei Workload", now: Date() - 86_400)
        let crl = try ca.makeRevocationList(revoked: [], number: 1, thisUpdate: Date() - 3600, nextUpdate: Date() + 30 * 86_400)
        return (ca, PlatformConfiguration(trustStore: try TrustStore(platform: ca, revocationList: crl)))
    }

    /// `total` uploads by `callers` concurrent callers; each upload has its own idempotency key.
    public func run(total: Int, callers: Int) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for caller in 0..<callers {
                group.addTask {
                    for _ in stride(from: caller, to: total, by: callers) { try await self.uploadOne() }
                }
            }
            try await group.waitForAll()
        }
    }

    /// Uploads until `deadline`, with `callers` concurrent callers; returns how many were accepted.
    public func run(until deadline: ContinuousClock.Instant, callers: Int) async throws -> Int {
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<callers {
                group.addTask {
                    var count = 0
                    while ContinuousClock.now < deadline {
                        try await self.uploadOne()
                        count += 1
                    }
                    return count
                }
            }
            return try await group.reduce(0, +)
        }
    }

    private func uploadOne() async throws {
        let n = counter.add(1, ordering: .relaxed).newValue
        var request = pool[n % pool.count]
        request.idempotencyKey = "load-\(n)"
        let receipt = try await platform.upload(request, by: sender)
        precondition(!receipt.isRepeat, "each upload has its own key")
    }

    /// The process's CPU time (user and system), in nanoseconds.
    public static func processCPU() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1_000_000_000 + Int(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1000
    }
}
