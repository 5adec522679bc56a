import Foundation
import Logging
import RenkeiCore
import RenkeiCrypto
import RenkeiModel
import RenkeiStore

/// Keeps the platform CA's CRL current from the log, on a server that holds the issuing key: at start it
/// reads every CertificateRevoked event, and after that each new one as it is committed; each time the
/// list grows it signs a new CRL (numbered by the sequence of the latest revocation, so numbers only grow)
/// and hands the trust store holding it to the authenticator, so the next handshakes refuse the
/// certificate and `GetServerInfo` gives clients the CRL to verify signers with. (Open connections are
/// refused at once already: every call checks the log's revocations.)
struct RevocationPublisher: Sendable {
    let platform: Platform
    let ca: PlatformCA
    let authenticator: ClientAuthenticator
    let logger: Logger
    /// How long each CRL is valid; a new one is signed before that while the server runs.
    var validity: Duration = .seconds(7 * 86_400)

    func run() async {
        var revoked: [RevokedCertificate] = []
        var latest = SequenceNumber(0)
        var position = SequenceNumber(0)
        var published = Date.distantPast
        while !Task.isCancelled {
            do {
                // Read what was committed after `position`, a page of envelopes at a time.
                let start = position
                let (found, end) = try await platform.reading { snapshot -> ([(SequenceNumber, RevokedCertificate)], SequenceNumber) in
                    var found: [(SequenceNumber, RevokedCertificate)] = []
                    let envelopes = try await snapshot.envelopes(from: start.next, limit: 65_536)
                    for envelope in envelopes where envelope.kind == .certificateRevoked {
                        guard let event = try await snapshot.event(at: envelope.sequence),
                              case .certificateRevoked(let body)? = try DomainEvent(kind: envelope.kind, body: event.body),
                              let serial = CertificateSerialNumber(hex: body.serial) else { continue }
                        let date = Date(timeIntervalSince1970: Double(envelope.timestamp.rawValue) / 1_000_000)
                        found.append((envelope.sequence, RevokedCertificate(serialNumber: serial, revocationDate: date)))
                    }
                    return (found, envelopes.last?.sequence ?? start)
                }
                position = end
                revoked += found.map(\.1)
                if let last = found.last { latest = last.0 }
                let now = Date()
                if !found.isEmpty || published.timeIntervalSince(now) < -Double(validity.components.seconds) / 2 {
                    try publish(revoked, number: latest.rawValue + 1, at: now)
                    published = now
                }
                if end > start { continue }
                // Caught up: wait for the next commit (or a day, to sign a fresh CRL before the old one expires).
                let tail = platform.store.tail(after: position)
                let woke = await withTaskGroup(of: Bool.self) { group in
                    group.addTask {
                        var iterator = tail.makeAsyncIterator()
                        return await iterator.next() != nil
                    }
                    group.addTask { (try? await Task.sleep(for: .seconds(86_400))) != nil }
                    defer { group.cancelAll() }
                    return await group.next() ?? false
                }
                if !woke && Task.isCancelled { return }
            } catch {
                logger.error("publishing the CRL failed", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(5))
            }
        }
    }

    private func publish(_ revoked: [RevokedCertificate], number: UInt64, at now: Date) throws {
        let crl = try ca.makeRevocationList(revoked: revoked, number: number, thisUpdate: now - 60,
                                            nextUpdate: now + Double(validity.components.seconds))
        let current = authenticator.currentTrustStore
        let others = current.revocationLists.filter { $0.issuer != ca.intermediate.subject }
        authenticator.replaceTrustStore(try current.replacingRevocationLists([crl] + others))
        logger.info("published a CRL", metadata: ["number": "\(number)", "revoked": "\(revoked.count)"])
    }
}
