import CarePlanStandard
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import RenkeiAPI
import RenkeiClient
import RenkeiCore
import RenkeiCrypto
import RenkeiModel
import RenkeiServer
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Each refusal, with its code, while the server keeps serving everyone else.
@Suite(.serialized, .timeLimit(.minutes(10))) struct RefusalTests {
    /// The server still answers an enrolled office.
    static func stillServes(_ platform: TestPlatform, _ office: RenkeiClient, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let info = try await office.serverInfo()
        #expect(info.apiVersion == "renkei.v1", sourceLocation: sourceLocation)
    }

    @Test func certificatesTheHandshakeRefuses() async throws {
        let platform = try await TestPlatform()
        let plan = Traffic().plan
        let office = try await platform.enrol(plan.sender, kind: plan.senderKind)

        // No certificate at all: TLS without a client certificate.
        let transport = try HTTP2ClientTransport.Posix(
            target: .ipv4(address: "127.0.0.1", port: platform.port),
            transportSecurity: .tls { $0.trustRoots = .certificates([.bytes(Array(platform.caPEM.utf8), format: .pem)]) })
        try await withGRPCClient(transport: transport) { client in
            let office = Renkei_V1_OfficeService.Client(wrapping: client)
            await #expect(throws: RPCError.self) {
                _ = try await office.getServerInfo(Renkei_V1_GetServerInfoRequest(), options: Self.shortDeadline)
            }
        }

        // A certificate from another CA, an expired one, one not yet valid.
        let otherCA = try PlatformCA.generate(name: "Not Renkei", now: Date() - 86_400)
        let strangers = [
            try platform.credential("1310000009", issuer: otherCA),
            try platform.credential("1310000009", notAfter: Date() - 3600, notBefore: Date() - 86_400 * 2),
            try platform.credential("1310000009", notAfter: Date() + 86_400 * 3, notBefore: Date() + 86_400),
        ]
        for credential in strangers {
            let client = try platform.client(credential)
            let error = await #expect(throws: RenkeiClientError.self) { _ = try await client.serverInfo() }
            #expect(error?.status == .unavailable, "refused in the handshake: \(String(describing: error))")
            await client.close()
        }
        try await Self.stillServes(platform, office)
        await office.close()
        await platform.stop()
    }

    static let shortDeadline: CallOptions = {
        var options = CallOptions.defaults
        options.timeout = .seconds(5)
        options.waitForReady = false
        return options
    }()

    @Test func aRevokedCertificateStopsWorkingAtOnce() async throws {
        let platform = try await TestPlatform()
        let plan = Traffic().plan
        let office = try await platform.enrol(plan.sender, kind: plan.senderKind)
        let other = try await platform.enrol(plan.recipient, kind: plan.recipientKind)
        try await Self.stillServes(platform, office)
        try await platform.operatorClient.revokeCertificate(serial: office.credential.certificate.serialNumber.hex, reason: "鍵の紛失")
        await expectRefusal(.unauthenticated) { try await office.serverInfo() }
        await expectRefusal(.unauthenticated) { try await office.inbox() }
        try await Self.stillServes(platform, other)
        for client in [office, other] { await client.close() }
        await platform.stop()
    }

    @Test func officesSeeOnlyTheirOwnUnitsAndNoOperatorOrAuditCalls() async throws {
        let platform = try await TestPlatform()
        let traffic = Traffic()
        let plan = traffic.plan
        let sender = try await platform.enrol(plan.sender, kind: plan.senderKind)
        let recipient = try await platform.enrol(plan.recipient, kind: plan.recipientKind)
        let third = try await platform.enrol(OfficeNumber(rawValue: "1319999999")!, kind: ServiceKindCode(rawValue: "11")!)
        let unit = try await sender.send(plan.outgoing, to: plan.recipient.rawValue).unitID

        // Another office's unit: not shown, not downloadable, not acknowledged, not withdrawn.
        await expectRefusal(.notRecipient) { try await third.unit(unit) }
        var bytes: [UInt8] = []
        await expectRefusal(.notRecipient) { try await third.download(unit: unit, file: plan.outgoing[0].name, into: &bytes) }
        await expectRefusal(.notRecipient) { try await third.acknowledgeDownload(unit: unit) }
        await expectRefusal(.notSender) { try await third.withdraw(unit: unit, reason: "x") }
        #expect(try await third.inbox().units.isEmpty)
        // Sending as another office: the files name the sender, the certificate is the third office's.
        await expectRefusal(.fileNameMismatch) { try await third.send(plan.outgoing, to: plan.recipient.rawValue, checker: nil) }

        // Operator and auditor calls from an office certificate.
        let refusal = await expectRefusal(.notAuthorized) { try await sender.approveRegistration(of: plan.recipient.rawValue) }
        #expect(refusal?.status == .permissionDenied)
        await expectRefusal(.notAuthorized) { try await sender.revokeCertificate(serial: "01", reason: "x") }
        await expectRefusal(.notAuthorized) { try await sender.queryAudit(Renkei_V1_QueryAuditRequest()) }
        // And office calls from the operator's certificate.
        await expectRefusal(.notAuthorized) { try await platform.operatorClient.inbox() }

        #expect(try await recipient.inbox().units.map(\.unitID) == [unit], "the recipient still sees its unit")
        for client in [sender, recipient, third] { await client.close() }
        await platform.stop()
    }

    @Test func anOversizedMessageIsRefusedByTheTransport() async throws {
        var limits = ServerLimits()
        limits.maximumMessageBytes = 64 << 10
        let platform = try await TestPlatform(limits: limits)
        guard let big = CarePlanGenerator(seed: 5, month: YearMonth(year: 2026, month: 12)!).file(kind: .actual, approximateByteCount: 300 << 10) else {
            Issue.record("the generator made no file")
            return
        }
        let sender = try await platform.enrol(big.name.sender, kind: big.name.senderKind ?? ServiceKindCode(rawValue: "11")!)
        _ = try await platform.enrol(big.name.recipient, kind: big.name.recipientKind ?? .careManagement)
        let error = await #expect(throws: RenkeiClientError.self) {
            _ = try await sender.send([OutgoingFile(name: big.fileName, bytes: big.bytes)], to: big.name.recipient.rawValue)
        }
        // The transport refuses the message before buffering it: it resets the stream (RST_STREAM), so no
        // trailers (and no Renkei code) can follow; API.md says so.
        #expect(error?.status == .unavailable && error?.message.contains("RST_STREAM") == true, "\(String(describing: error))")
        #expect(try await sender.sent().units.isEmpty, "nothing stored")
        try await Self.stillServes(platform, sender)
        await sender.close()
        await platform.stop()
    }

    @Test func garbageAndSilentConnectionsAreClosedWhileOthersAreServed() async throws {
        var limits = ServerLimits()
        limits.handshakeTimeout = .seconds(1)
        let platform = try await TestPlatform(limits: limits)
        let plan = Traffic().plan
        let office = try await platform.enrol(plan.sender, kind: plan.senderKind)

        let garbage = try RawConnection(port: platform.port)
        garbage.send(Array(repeating: 0x5A, count: 4096))
        #expect(garbage.waitForClose(seconds: 5), "garbage closes the connection")

        let silent = try RawConnection(port: platform.port)
        let started = Date()
        #expect(silent.waitForClose(seconds: 10), "a handshake that never finishes is cut off")
        #expect(Date().timeIntervalSince(started) < 5)
        try await Self.stillServes(platform, office)
        await office.close()
        await platform.stop()
    }
}

/// A plain TCP connection, for bytes that are not TLS at all.
final class RawConnection {
    let socket: Int32

    init(port: Int) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { throw POSIXError(.ECONNREFUSED) }
    }

    deinit { close(socket) }

    func send(_ bytes: [UInt8]) { _ = bytes.withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }

    /// Everything the peer sends until it closes the connection (or `seconds` pass).
    func readToEnd(seconds: Int) -> [UInt8] {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var all: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = recv(socket, &buffer, buffer.count, 0)
            guard count > 0 else { return all }
            all += buffer[0..<count]
        }
    }

    /// True when the peer closes the connection within `seconds` (reads return 0 or fail).
    func waitForClose(seconds: Int) -> Bool {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = Date() + Double(seconds)
        while Date() < deadline {
            let count = recv(socket, &buffer, buffer.count, 0)
            if count == 0 { return true }
            if count < 0 { return errno != EAGAIN && errno != EWOULDBLOCK }
        }
        return false
    }
}

/// After a revocation the server publishes a new CRL: `GetServerInfo` hands it out, and a new connection
/// with the revoked certificate is refused in the handshake.
@Test func aRevocationIsPublishedInTheCRLAndRefusedInTheHandshake() async throws {
    let platform = try await TestPlatform()
    let plan = Traffic().plan
    let office = try await platform.enrol(plan.sender, kind: plan.senderKind)
    let other = try await platform.enrol(plan.recipient, kind: plan.recipientKind)
    let serial = office.credential.certificate.serialNumber
    try await platform.operatorClient.revokeCertificate(serial: serial.hex, reason: "退職者の端末")
    // The publisher runs beside the server: wait (bounded) until the CRL it hands out lists the serial.
    let deadline = ContinuousClock.now + .seconds(30)
    var listed = false
    while !listed, ContinuousClock.now < deadline {
        let pem = try await other.serverInfo().platformCrlPem
        listed = try pem.components(separatedBy: "-----END X509 CRL-----").dropLast()
            .map { try CertificateRevocationList(pem: $0.trimmingCharacters(in: .whitespacesAndNewlines) + "\n-----END X509 CRL-----\n") }
            .contains { $0.revoked.contains { $0.serialNumber == serial } }
        if !listed { try await Task.sleep(for: .milliseconds(20)) }
    }
    #expect(listed, "the CRL from GetServerInfo lists the revoked serial")
    let again = try platform.client(office.credential)
    let error = await #expect(throws: RenkeiClientError.self) { _ = try await again.serverInfo() }
    #expect(error?.status == .unavailable, "refused in the handshake now: \(String(describing: error))")
    for client in [office, other, again] { await client.close() }
    await platform.stop()
}

/// An office holds at most `maximumConnectionsPerOffice` connections: one more is closed right after its
/// handshake, while the office's other connections and other offices are served.
@Test func anOfficeBeyondItsConnectionsIsRefused() async throws {
    var limits = ServerLimits()
    limits.maximumConnectionsPerOffice = 2
    let platform = try await TestPlatform(limits: limits)
    let plan = Traffic().plan
    let first = try await platform.enrol(plan.sender, kind: plan.senderKind)
    let other = try await platform.enrol(plan.recipient, kind: plan.recipientKind)
    let second = try platform.client(first.credential)
    _ = try await first.serverInfo()
    _ = try await second.serverInfo()
    let third = try platform.client(first.credential)
    let error = await #expect(throws: RenkeiClientError.self) { _ = try await third.serverInfo() }
    #expect(error?.status == .unavailable, "\(String(describing: error))")
    // (Closed at once: its client would otherwise keep reconnecting and take the next free slot.)
    await third.close()
    _ = try await first.serverInfo()
    _ = try await other.serverInfo()
    // A connection closed makes room for another.
    await second.close()
    let deadline = ContinuousClock.now + .seconds(10)
    var admitted = false
    while !admitted, ContinuousClock.now < deadline {
        let again = try platform.client(first.credential)
        admitted = (try? await again.serverInfo()) != nil
        await again.close()
        if !admitted { try await Task.sleep(for: .milliseconds(50)) }
    }
    #expect(admitted)
    for client in [first, other] { await client.close() }
    await platform.stop()
}
