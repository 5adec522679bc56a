import CarePlanStandard
import Foundation
import RenkeiAPI
import RenkeiClient
import RenkeiCore
import RenkeiCrypto
import RenkeiModel
import Testing

/// Attacks on uploads, one test each: a captured upload replayed, an office's certificate and key used from
/// another host, attachment names that would escape a
/// folder or name a device on the recipient's machine, a unit of thousands of files, a manifest beyond the
/// message bound. Each is refused with its number, stores nothing, and the server goes on serving.
@Suite(.timeLimit(.minutes(10))) struct AttackTests {
    /// The header `client` would send for `files` (validated, signed), and the files in the manifest's order.
    static func signed(_ files: [OutgoingFile], by client: RenkeiClient, from sender: String, to recipient: String, serial: String,
                       key: String = UUID().uuidString) throws -> (Renkei_V1_SendHeader, [OutgoingFile]) {
        let entries = try files.map { file -> SendUnitManifest.File in
            let kind = (try? FileName.parse(file.name))?.kind.rawValue ?? "PDF"
            return try SendUnitManifest.File(kind: kind, name: file.name, size: UInt64(file.bytes.count), sha256: SHA256.hash(file.bytes).hex)
        }
        let manifest = try SendUnitManifest(sender: sender, recipient: recipient, unitNumber: serial, files: entries)
        let signature = try SendUnitSignature.sign(manifest: manifest.canonicalBytes, key: client.credential.key,
                                                   certificate: client.credential.certificate, chain: client.credential.chain)
        var header = Renkei_V1_SendHeader()
        header.recipient = recipient
        header.manifest = Data(manifest.canonicalBytes)
        header.signature = Data(signature.der)
        header.idempotencyKey = key
        let byName = Dictionary(files.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        return (header, manifest.files.compactMap { byName[$0.name] })
    }

    @Test func aCapturedUploadReplayedGivesTheSameUnitOrIsRefused() async throws {
        let platform = try await TestPlatform()
        let plan = Traffic().plan
        let sender = try await platform.enrol(plan.sender, kind: plan.senderKind)
        let recipient = try await platform.enrol(plan.recipient, kind: plan.recipientKind)
        let stranger = try await platform.enrol(OfficeNumber(rawValue: "1399999999")!, kind: plan.senderKind)
        let (header, files) = try Self.signed(plan.outgoing, by: sender, from: plan.sender.rawValue, to: plan.recipient.rawValue, serial: plan.serialText)
        let first = try await sender.send(header: header, files: files)
        #expect(!first.repeat)

        // The same bytes again from the sender (a retry, or a replay on its own connection): the first receipt.
        let again = try await platform.client(sender.credential)
        let repeated = try await again.send(header: header, files: files)
        #expect(repeated.unitID == first.unitID && repeated.repeat)
        // The same bytes from another office's connection: the manifest (and its signature) name another sender.
        let replayed = await expectRefusal(.manifestMismatch) { try await stranger.send(header: header, files: files) }
        #expect(replayed?.message.contains(plan.sender.rawValue) == true, "\(String(describing: replayed))")
        var fresh = header
        fresh.idempotencyKey = UUID().uuidString
        await expectRefusal(.manifestMismatch) { try await stranger.send(header: fresh, files: files) }
        #expect(try await recipient.inbox().units.map(\.unitID) == [first.unitID], "one unit, however often it was replayed")
        #expect(try await stranger.sent().units.isEmpty)
        for client in [sender, again, recipient, stranger] { await client.close() }
        await platform.stop()
    }

    /// Office A's certificate and key, copied to another host: TLS cannot tell the copy from A, so the copy
    /// is A — and no more: it cannot act as another office or read another office's files. What the platform
    /// adds is that every upload, refused attempt and download is recorded with the address it came from, so
    /// A's audit trail shows the host that is not A's; and A's report stops both at once (revocation is
    /// checked on every call, open connections included).
    @Test func aCertificateAndKeyCopiedToAnotherHostAreSeenInTheAuditAndStoppedAtOnce() async throws {
        let otherHost = try #require(TestPlatform.nonLoopbackIPv4(), "the other host is this machine's non-loopback IPv4 address; it has none")
        let platform = try await TestPlatform(otherHosts: [otherHost])
        let plan = Traffic().plan
        let office = try await platform.enrol(plan.sender, kind: plan.senderKind)
        let recipient = try await platform.enrol(plan.recipient, kind: plan.recipientKind)
        let copy = try platform.client(office.credential, host: otherHost)
        let units = UnitSource(plan: plan)

        let own = try await office.send(units.unit(0), to: plan.recipient.rawValue, checker: nil).unitID
        let copied = try await copy.send(units.unit(1), to: plan.recipient.rawValue, checker: nil).unitID
        // The copy is the office and no more: it cannot download what the office sent (only the recipient
        // can), and files that name another sender are refused.
        var bytes: [UInt8] = []
        await expectRefusal(.notRecipient) { try await copy.download(unit: own, file: units.unit(0)[0].name, into: &bytes) }
        let foreign = units.unit(2).map { OutgoingFile(name: $0.name.replacingOccurrences(of: plan.sender.rawValue, with: "1399999999"), bytes: $0.bytes) }
        await expectRefusal(.fileNameMismatch) { try await copy.send(foreign, to: plan.recipient.rawValue, checker: nil) }
        try await recipient.acknowledgeDownload(unit: copied)

        // The office's trail names the address of every upload, refusal and download.
        let auditor = try platform.client(try await platform.issued(TestPlatform.auditorNumber, role: .auditor))
        var query = Renkei_V1_QueryAuditRequest()
        query.officeNumber = plan.sender.rawValue
        let trail = try await auditor.queryAudit(query)
        let uploads = trail.filter { $0.kindName == "sendUnitUploaded" }
        #expect(uploads.map(\.sequence) == [own, copied])
        #expect(uploads.first?.origin.hasPrefix("ipv4:127.0.0.1:") == true, "\(uploads)")
        #expect(uploads.last?.origin.hasPrefix("ipv4:\(otherHost):") == true, "\(uploads)")
        #expect(uploads.last?.summary.hasSuffix(" from \(uploads.last?.origin ?? "")") == true, "\(uploads)")
        let refusal = try #require(trail.first { $0.kindName == "sendUnitRefused" })
        #expect(refusal.origin.hasPrefix("ipv4:\(otherHost):"), "\(refusal)")
        let download = try #require(trail.first { $0.kindName == "sendUnitDownloaded" })
        #expect(download.origin.hasPrefix("ipv4:127.0.0.1:"), "\(download)")

        // The office reports the copy: one revocation stops its own connection and the copy's at once.
        try await platform.operatorClient.revokeCertificate(serial: office.credential.certificate.serialNumber.hex, reason: "鍵の流出")
        await expectRefusal(.unauthenticated) { try await copy.inbox() }
        await expectRefusal(.unauthenticated) { try await office.sent() }
        #expect(try await recipient.inbox().units.count == 2, "the recipient goes on")
        for client in [office, copy, recipient, auditor] { await client.close() }
        await platform.stop()
    }

    @Test func attachmentNamesThatEscapeAFolderOrNameADeviceAreRefused() async throws {
        let platform = try await TestPlatform()
        let plan = Traffic().plan
        let sender = try await platform.enrol(plan.sender, kind: plan.senderKind)
        let recipient = try await platform.enrol(plan.recipient, kind: plan.recipientKind)
        let pdf = Array("%PDF-1.7\n%%EOF\n".utf8)
        for name in ["..pdf", ".hidden.pdf", "CON.pdf", "nul.PDF", "com1.png", "LPT9.jpg", "aux.scan.pdf", "c:evil.pdf", "a|b.pdf",
                     "what?.pdf", "star*.pdf", "quote\".pdf", "less<.pdf", "scan.pdf."] {
            let (header, files) = try Self.signed(plan.outgoing + [OutgoingFile(name: name, bytes: pdf)], by: sender,
                                                  from: plan.sender.rawValue, to: plan.recipient.rawValue, serial: plan.serialText)
            let error = await expectRefusal(.attachmentInvalid) { try await sender.send(header: header, files: files) }
            #expect(error?.detail?.detail.contains(name.debugDescription) == true || error?.message.contains(name) == true, "\(name): \(String(describing: error))")
        }
        #expect(try await recipient.inbox().units.isEmpty, "nothing stored")
        // A plain name goes through.
        let (header, files) = try Self.signed(plan.outgoing + [OutgoingFile(name: "scan-2026-12.pdf", bytes: pdf)], by: sender,
                                              from: plan.sender.rawValue, to: plan.recipient.rawValue, serial: plan.serialText)
        _ = try await sender.send(header: header, files: files)
        for client in [sender, recipient] { await client.close() }
        await platform.stop()
    }

    @Test func thousandsOfFilesAndAManifestBeyondTheBoundAreRefused() async throws {
        let platform = try await TestPlatform()
        let plan = Traffic().plan
        let sender = try await platform.enrol(plan.sender, kind: plan.senderKind)
        let recipient = try await platform.enrol(plan.recipient, kind: plan.recipientKind)
        // Manifests of 500 and 5,000 one-byte attachments (written by hand: the model itself refuses to make
        // them): refused at the header, by count and by size, before any signature check or file byte.
        for (count, says) in [(500, "not 500"), (5_000, "64 KiB")] {
            var text = "renkei-send-unit-manifest/v1\nsender \(plan.sender.rawValue)\nrecipient \(plan.recipient.rawValue)\nunit \(plan.serialText)\n"
            for n in 0..<count { text += "file PDF 5 \(SHA256.hash(Array("%PDF-".utf8)).hex) " + String(format: "scan-%05d.pdf", n) + "\n" }
            var header = Renkei_V1_SendHeader()
            header.recipient = plan.recipient.rawValue
            header.manifest = Data(text.utf8)
            header.signature = Data(repeating: 0x30, count: 64)
            header.idempotencyKey = "many-\(count)"
            let files = (0..<count).map { OutgoingFile(name: String(format: "scan-%05d.pdf", $0), bytes: Array("%PDF-".utf8)) }
            let started = ContinuousClock.now
            let many = await expectRefusal(.manifestMismatch) { try await sender.send(header: header, files: files) }
            #expect(many.map { "\($0)".contains(says) } == true, "\(many.map { "\($0)" } ?? "-")")
            #expect(ContinuousClock.now - started < .seconds(10))
        }
        var header = Renkei_V1_SendHeader()
        header.recipient = plan.recipient.rawValue
        header.idempotencyKey = "huge"
        // A header of 3 MiB (a manifest padded past every bound): the transport refuses the message unread.
        var huge = header
        huge.manifest = Data(repeating: 0x41, count: 3 << 20)
        let error = await #expect(throws: RenkeiClientError.self) { try await sender.send(header: huge, files: []) }
        #expect(error?.status == .unavailable || error?.status == .resourceExhausted, "\(String(describing: error))")
        #expect(try await recipient.inbox().units.isEmpty, "nothing stored")
        try await RefusalTests.stillServes(platform, sender)
        for client in [sender, recipient] { await client.close() }
        await platform.stop()
    }
}
