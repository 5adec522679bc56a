import CarePlanStandard
import Foundation
import RenkeiCore
import RenkeiCrypto
import RenkeiModel
import RenkeiStore
import Testing

/// Three enrolled offices (a 居宅 office and two service offices) on a fresh platform, for the refusals.
struct RefusalWorld {
    let harness: Harness
    let month = GeneratedMonth()
    let cm: TestOffice
    let a: TestOffice
    let b: TestOffice

    init(_ engine: Engine = .memory) async throws {
        harness = try await Harness(engine)
        cm = try await harness.enrol(month.careManagementOffice, kinds: [.careManagement])
        let services = month.serviceOffices
        a = try await harness.enrol(services[0].0, kinds: [services[0].1])
        b = try await harness.enrol(services[1].0, kinds: [services[1].1])
    }

    var platform: Platform { harness.platform }

    /// The 予定 unit from the 居宅 office to `office`.
    func plan(to office: TestOffice) -> [UploadFile] { month.units("KYOTAKU_USAGE").first { $0.recipient == office.number }!.uploadFiles }
    /// The 実績 unit from `office` to the 居宅 office.
    func actual(from office: TestOffice) -> [UploadFile] { month.units("SERVICE_ACTUAL").first { $0.sender == office.number }!.uploadFiles }

    /// Runs `body`, which must be refused with `code`, and checks that it changed nothing: every projection
    /// digest and the log are as before — except that a refused upload appends one SendUnitRefused event,
    /// which only the audit projection folds.
    func expectRefused(_ code: DomainError.Code, upload: Bool = false, sourceLocation: SourceLocation = #_sourceLocation,
                       _ body: () async throws -> Void) async throws {
        let before = try await platform.liveDigests()
        let end = harness.store.latestSequence
        await expectRefusal(code, sourceLocation: sourceLocation, body)
        let after = try await platform.liveDigests()
        for space in Platform.keySpaces where !(upload && space.name == "audit") {
            #expect(before[space] == after[space], "\(space) changed", sourceLocation: sourceLocation)
        }
        if upload {
            #expect(harness.store.latestSequence == end.next, sourceLocation: sourceLocation)
            let refused = try await harness.store.read { try await $0.event(at: end.next) }
            #expect(refused?.envelope.kind == .sendUnitRefused, sourceLocation: sourceLocation)
            if let refused, case .sendUnitRefused(let body)? = try DomainEvent(kind: refused.envelope.kind, body: refused.body) {
                #expect(body.code == UInt32(code.rawValue), sourceLocation: sourceLocation)
            }
            #expect(before[ProjectionSpaces.audit] != after[ProjectionSpaces.audit], sourceLocation: sourceLocation)
        } else {
            #expect(harness.store.latestSequence == end, "the log grew", sourceLocation: sourceLocation)
        }
    }
}

@Suite("Upload refusals: each rule refuses, records the attempt for the audit, and changes nothing else")
struct UploadRefusalTests {
    @Test("An unregistered sender is refused (1001)")
    func unregisteredSender() async throws {
        let world = try await RefusalWorld()
        // A well-formed unit, signed with a platform certificate, from an office that never registered.
        let number = OfficeNumber(rawValue: "1319999999")!
        let stranger = TestOffice(number: number, kinds: [.careManagement], credential: try world.harness.credential(for: number))
        let files = world.plan(to: world.a).map {
            UploadFile(name: $0.name.replacingOccurrences(of: world.cm.number.rawValue, with: number.rawValue), bytes: $0.bytes)
        }
        let request = try world.harness.upload(files, from: stranger, to: world.a.number)
        try await world.expectRefused(.senderNotRegistered, upload: true) { _ = try await world.platform.upload(request, by: stranger.actor) }
        // An office that was deregistered.
        try await world.platform.deregisterOffice(world.b.number, reason: "closed", by: operatorActor)
        let fromB = try world.harness.upload(world.actual(from: world.b), from: world.b, to: world.cm.number)
        try await world.expectRefused(.senderNotRegistered, upload: true) { _ = try await world.platform.upload(fromB, by: world.b.actor) }
    }

    @Test("An unregistered recipient is refused (1002)")
    func unregisteredRecipient() async throws {
        let world = try await RefusalWorld()
        try await world.platform.deregisterOffice(world.a.number, reason: "closed", by: operatorActor)
        let request = try world.harness.upload(world.plan(to: world.a), from: world.cm, to: world.a.number)
        try await world.expectRefused(.recipientNotRegistered, upload: true) { _ = try await world.platform.upload(request, by: world.cm.actor) }
    }

    @Test("A suspended sender cannot send (1003) but still downloads what it received")
    func suspendedSender() async throws {
        let world = try await RefusalWorld()
        let unit = try await world.platform.upload(try world.harness.upload(world.plan(to: world.a), from: world.cm, to: world.a.number), by: world.cm.actor).unit
        try await world.platform.suspendLicense(for: world.a.number, reason: "unpaid", by: operatorActor)
        let request = try world.harness.upload(world.actual(from: world.a), from: world.a, to: world.cm.number)
        try await world.expectRefused(.senderNotLicensed, upload: true) { _ = try await world.platform.upload(request, by: world.a.actor) }
        #expect(try await world.platform.download(unit, by: world.a.actor).files.count == 3)
    }

    @Test("A recipient whose licence expired cannot be sent to (1004)")
    func expiredRecipient() async throws {
        let world = try await RefusalWorld()
        try await world.platform.cancelLicense(for: world.a.number, reason: "closing", by: world.a.actor)
        world.harness.clock.advance(days: 366)
        let expired = try await world.platform.advanceLicenses()
        #expect(expired.contains { if case .licenseExpired(let e) = $0 { e.officeNumber == world.a.number.rawValue } else { false } })
        let request = try world.harness.upload(world.plan(to: world.a), from: world.cm, to: world.a.number)
        try await world.expectRefused(.recipientNotLicensed, upload: true) { _ = try await world.platform.upload(request, by: world.cm.actor) }
    }

    @Test("An office cannot send to itself (1005)")
    func sameOffice() async throws {
        let world = try await RefusalWorld()
        let request = try world.harness.upload(world.plan(to: world.a), from: world.cm, to: world.cm.number)
        try await world.expectRefused(.sameOffice, upload: true) { _ = try await world.platform.upload(request, by: world.cm.actor) }
    }

    @Test("A care-planning office does not send 実績 (1006)")
    func wrongDirection() async throws {
        let world = try await RefusalWorld()
        // The service office's registration says it plans care: its 実績 goes the wrong way.
        try await world.platform.changeOfficeDetails(of: world.a.number, to: OfficeDetails(name: "居宅に変更", serviceKinds: [.careManagement], prefecture: 13), by: operatorActor)
        let request = try world.harness.upload(world.actual(from: world.a), from: world.a, to: world.cm.number)
        try await world.expectRefused(.wrongDirection, upload: true) { _ = try await world.platform.upload(request, by: world.a.actor) }
    }

    @Test("File names must name the upload's sender and recipient (1007)")
    func fileNameMismatch() async throws {
        let world = try await RefusalWorld()
        let request = try world.harness.upload(world.plan(to: world.a), from: world.cm, to: world.b.number)
        try await world.expectRefused(.fileNameMismatch, upload: true) { _ = try await world.platform.upload(request, by: world.cm.actor) }
    }

    @Test("A CSV file that breaks the standard is refused with its finding (1008)")
    func validation() async throws {
        let world = try await RefusalWorld()
        var files = world.plan(to: world.a)
        files[0].bytes = Array("ﾃｽﾄ,UTF-8 text\r\n".utf8) + files[0].bytes
        let request = try world.harness.upload(files, from: world.cm, to: world.a.number)
        let error = await expectRefusal(.validationFailed) { try await world.platform.upload(request, by: world.cm.actor) }
        #expect(error?.detail.contains(files[0].name) == true)
    }

    @Test("Files of two send units are refused (1009)")
    func unitMismatch() async throws {
        let world = try await RefusalWorld()
        let usage = world.plan(to: world.a)
        let carePlan = world.month.units("KYOTAKU_PLAN").first { $0.recipient == world.a.number }!.uploadFiles
        let request = try world.harness.upload([usage[0], carePlan[0]], from: world.cm, to: world.a.number)
        try await world.expectRefused(.unitMismatch, upload: true) { _ = try await world.platform.upload(request, by: world.cm.actor) }
        let attachmentOnly = try world.harness.upload([UploadFile(name: "plan3.pdf", bytes: Array("%PDF-1.4 x".utf8))], from: world.cm, to: world.a.number)
        try await world.expectRefused(.unitMismatch, upload: true) { _ = try await world.platform.upload(attachmentOnly, by: world.cm.actor) }
    }

    @Test("An attachment must be what its name says (1010)")
    func attachment() async throws {
        let world = try await RefusalWorld()
        let request = try world.harness.upload(world.plan(to: world.a) + [UploadFile(name: "plan3.pdf", bytes: Array("not a pdf".utf8))], from: world.cm, to: world.a.number)
        try await world.expectRefused(.attachmentInvalid, upload: true) { _ = try await world.platform.upload(request, by: world.cm.actor) }
        let good = try world.harness.upload(world.plan(to: world.a) + [UploadFile(name: "daisanhyo.pdf", bytes: Array("%PDF-1.7\n...".utf8))], from: world.cm, to: world.a.number)
        #expect(try await world.platform.upload(good, by: world.cm.actor).unitType == .plan)
    }

    @Test("A signature over other bytes is refused (1011); one by another office too (1012)")
    func signatures() async throws {
        let world = try await RefusalWorld()
        var request = try world.harness.upload(world.plan(to: world.a), from: world.cm, to: world.a.number)
        request.signature = try world.harness.upload(world.plan(to: world.b), from: world.cm, to: world.b.number).signature
        try await world.expectRefused(.signatureInvalid, upload: true) { _ = try await world.platform.upload(request, by: world.cm.actor) }
        let byB = try world.harness.upload(world.plan(to: world.a), from: world.cm, to: world.a.number, signer: world.b.credential)
        try await world.expectRefused(.signerNotSender, upload: true) { _ = try await world.platform.upload(byB, by: world.cm.actor) }
    }

    @Test("A signature by a revoked certificate is refused (1029)")
    func revokedSigner() async throws {
        let world = try await RefusalWorld()
        try await world.platform.revokeCertificate(serial: world.cm.credential.certificate.serialNumber, reason: "key lost", by: operatorActor)
        let request = try world.harness.upload(world.plan(to: world.a), from: world.cm, to: world.a.number)
        try await world.expectRefused(.certificateRevoked, upload: true) { _ = try await world.platform.upload(request, by: world.cm.actor) }
    }

    @Test("Files that differ from the signed manifest are refused (1026)")
    func manifestMismatch() async throws {
        let world = try await RefusalWorld()
        var request = try world.harness.upload(world.plan(to: world.a), from: world.cm, to: world.a.number)
        request.files[1].bytes[request.files[1].bytes.count - 3] ^= 1
        try await world.expectRefused(.manifestMismatch, upload: true) { _ = try await world.platform.upload(request, by: world.cm.actor) }
    }

    @Test("An idempotency key returns the first receipt for the same unit (nothing stored) and refuses another unit (1027)")
    func idempotency() async throws {
        let world = try await RefusalWorld(.lmdb)
        let request = try world.harness.upload(world.plan(to: world.a), from: world.cm, to: world.a.number, key: "retry-1")
        let first = try await world.platform.upload(request, by: world.cm.actor)
        let digests = try await world.platform.liveDigests()
        let end = world.harness.store.latestSequence
        world.harness.clock.advance(seconds: 5)
        let again = try await world.platform.upload(request, by: world.cm.actor)
        #expect(again.unit == first.unit && again.uploadedAt == first.uploadedAt && again.isRepeat)
        #expect(world.harness.store.latestSequence == end)
        #expect(try await world.platform.liveDigests() == digests)
        let other = try world.harness.upload(world.plan(to: world.b), from: world.cm, to: world.b.number, key: "retry-1")
        try await world.expectRefused(.idempotencyKeyReused, upload: true) { _ = try await world.platform.upload(other, by: world.cm.actor) }
        // Another sender may use the same key.
        #expect(try await !world.platform.upload(try world.harness.upload(world.actual(from: world.a), from: world.a, to: world.cm.number, key: "retry-1"), by: world.a.actor).isRepeat)
        await world.harness.close()
    }
}

@Suite("Download and withdrawal refusals")
struct ExchangeRefusalTests {
    @Test("Only the recipient downloads (1013); unknown units are refused (1016)")
    func onlyRecipient() async throws {
        let world = try await RefusalWorld()
        let unit = try await world.platform.upload(try world.harness.upload(world.plan(to: world.a), from: world.cm, to: world.a.number), by: world.cm.actor).unit
        try await world.expectRefused(.notRecipient) { _ = try await world.platform.download(unit, by: world.b.actor) }
        try await world.expectRefused(.notRecipient) { _ = try await world.platform.download(unit, by: world.cm.actor) }
        try await world.expectRefused(.unitNotFound) { _ = try await world.platform.download(SequenceNumber(9999), by: world.a.actor) }
    }

    @Test("Only the sender withdraws (1014), only before the download (1015); a withdrawn unit is not downloaded (1017)")
    func withdrawal() async throws {
        let world = try await RefusalWorld()
        let first = try await world.platform.upload(try world.harness.upload(world.plan(to: world.a), from: world.cm, to: world.a.number), by: world.cm.actor).unit
        try await world.expectRefused(.notSender) { try await world.platform.withdraw(first, reason: "", by: world.a.actor) }
        try await world.platform.withdraw(first, reason: "wrong month", by: world.cm.actor)
        try await world.expectRefused(.unitWithdrawn) { _ = try await world.platform.download(first, by: world.a.actor) }
        try await world.expectRefused(.unitWithdrawn) { try await world.platform.withdraw(first, reason: "", by: world.cm.actor) }
        let second = try await world.platform.upload(try world.harness.upload(world.plan(to: world.b), from: world.cm, to: world.b.number), by: world.cm.actor).unit
        _ = try await world.platform.download(second, by: world.b.actor)
        try await world.expectRefused(.alreadyDownloaded) { try await world.platform.withdraw(second, reason: "", by: world.cm.actor) }
        try await world.platform.query { q in
            let sent = try await q.mailbox(of: world.cm.number.rawValue, .sent)
            #expect(sent.entries.map(\.status) == [.withdrawn, .downloaded])
        }
    }

    @Test("Files past retention are purged (1018): the metadata and hashes stay, and the log still verifies")
    func retention() async throws {
        let world = try await RefusalWorld()
        try await world.platform.setRetentionPolicy(RetentionPolicy(downloadedDays: 7, undownloadedDays: 30), by: operatorActor)
        let downloaded = try await world.platform.upload(try world.harness.upload(world.plan(to: world.a), from: world.cm, to: world.a.number), by: world.cm.actor).unit
        let waiting = try await world.platform.upload(try world.harness.upload(world.plan(to: world.b), from: world.cm, to: world.b.number), by: world.cm.actor).unit
        _ = try await world.platform.download(downloaded, by: world.a.actor)
        world.harness.clock.advance(days: 8)
        #expect(try await world.platform.applyRetention() == [downloaded])
        try await world.expectRefused(.unitPurged) { _ = try await world.platform.download(downloaded, by: world.a.actor) }
        world.harness.clock.advance(days: 30)
        #expect(try await world.platform.applyRetention() == [waiting])
        #expect(try await world.platform.applyRetention().isEmpty)
        try await world.platform.query { q in
            let record = try #require(try await q.unit(waiting))
            #expect(record.purged && record.status == .purged && record.upload.files.count == 3)
            let inbox = try await q.mailbox(of: world.b.number.rawValue, .inbox, filter: MailboxFilter(status: .purged))
            #expect(inbox.entries.count == 1)
        }
        let info = try await world.harness.store.read { try await $0.blobInfo(SHA256.hash(world.plan(to: world.b)[0].bytes)) }
        #expect(info?.isPurged == true)
        try await world.harness.expectRebuildEqualsLive()
    }
}

@Suite("Registry refusals: offices, licences, certificates, checkpoints")
struct RegistryRefusalTests {
    @Test("Registration: twice (1019), not pending (1020), unknown (1021), not an operator (1022), bad fields (1025)")
    func registration() async throws {
        let world = try await RefusalWorld()
        let details = OfficeDetails(name: "新しい事業所", serviceKinds: [.careManagement], prefecture: 13)
        try await world.expectRefused(.alreadyRegistered) {
            try await world.platform.requestRegistration(of: world.a.number, details: details, billingLoginID: "X1", by: world.a.actor)
        }
        try await world.expectRefused(.registrationNotPending) { try await world.platform.approveRegistration(of: world.a.number, by: operatorActor) }
        let unknown = OfficeNumber(rawValue: "4710000001")!
        try await world.expectRefused(.officeNotFound) { try await world.platform.approveRegistration(of: unknown, by: operatorActor) }
        try await world.platform.requestRegistration(of: unknown, details: details, billingLoginID: "X2", by: .office(unknown))
        try await world.expectRefused(.notAuthorized) { try await world.platform.approveRegistration(of: unknown, by: .office(unknown)) }
        try await world.expectRefused(.notAuthorized) {
            try await world.platform.requestRegistration(of: unknown, details: details, billingLoginID: "X3", by: world.a.actor)
        }
        for bad in [OfficeDetails(name: "", serviceKinds: [.careManagement], prefecture: 13),
                    OfficeDetails(name: "x", serviceKinds: [], prefecture: 13),
                    OfficeDetails(name: "x", serviceKinds: [.careManagement], prefecture: 48),
                    OfficeDetails(name: "x\u{7}", serviceKinds: [.careManagement], prefecture: 1)] {
            try await world.expectRefused(.invalidArgument) { try await world.platform.changeOfficeDetails(of: world.a.number, to: bad, by: operatorActor) }
        }
        try await world.platform.rejectRegistration(of: unknown, reason: "番号が不正", by: operatorActor)
        try await world.platform.query { q in
            let record = try await q.office(unknown.rawValue)
            let listed = try await q.directory(DirectoryQuery(numberPrefix: "47"))
            #expect(record?.status == .rejected && listed.isEmpty)
        }
    }

    @Test("Licences: activated twice or reinstated while active (1023)")
    func licenses() async throws {
        let world = try await RefusalWorld()
        try await world.expectRefused(.licenseState) { try await world.platform.activateLicense(for: world.a.number, by: operatorActor) }
        try await world.expectRefused(.licenseState) { try await world.platform.reinstateLicense(for: world.a.number, by: operatorActor) }
        try await world.expectRefused(.notAuthorized) { try await world.platform.suspendLicense(for: world.a.number, reason: "x", by: world.a.actor) }
    }

    @Test("Certificates: an unknown or revoked serial is refused (1024); an issuer twice or unknown (1032)")
    func certificates() async throws {
        let world = try await RefusalWorld()
        try await world.expectRefused(.certificateState) {
            try await world.platform.revokeCertificate(serial: CertificateSerialNumber(hex: "01")!, reason: "x", by: operatorActor)
        }
        try await world.platform.revokeCertificate(serial: world.a.credential.certificate.serialNumber, reason: "lost", by: operatorActor)
        try await world.expectRefused(.certificateState) {
            try await world.platform.revokeCertificate(serial: world.a.credential.certificate.serialNumber, reason: "again", by: operatorActor)
        }
        try await world.expectRefused(.certificateState) { try await world.platform.recordCertificateIssued(world.b.credential.certificate, by: operatorActor) }
        let external = try PlatformCA.generate(name: "電子請求受付システム", now: world.harness.clock.date - 86_400)
        try await world.platform.addTrustedIssuer(external.intermediate, name: "電子請求受付システム", by: operatorActor)
        try await world.expectRefused(.issuerState) { try await world.platform.addTrustedIssuer(external.intermediate, name: "again", by: operatorActor) }
        try await world.platform.removeTrustedIssuer(fingerprint: SHA256.hash(external.intermediate.der), reason: "ended", by: operatorActor)
        try await world.expectRefused(.issuerState) {
            try await world.platform.removeTrustedIssuer(fingerprint: SHA256.hash(external.intermediate.der), reason: "again", by: operatorActor)
        }
        try await world.platform.query { q in
            let records = try await q.certificates(of: world.a.number.rawValue)
            #expect(records.count == 1 && records[0].revoked)
        }
    }

    @Test("A checkpoint is signed over the log's root and verifies with the key's certificate; without a key it is refused (1030)")
    func checkpoints() async throws {
        let world = try await RefusalWorld()
        let note = try await world.platform.signCheckpoint(by: operatorActor)
        #expect(note.contains("renkei.test/log"))
        let size = world.harness.store.latestSequence.rawValue - 1
        let stored = try await world.harness.store.read { try await $0.value(forKey: SequenceNumber(size).bigEndianBytes, in: .checkpoints) }
        #expect(stored == Array(note.utf8))
        // The schedule signs only when the log grew since the last checkpoint (its own event aside).
        #expect(try await world.platform.signCheckpointIfAdvanced() == nil)
        try await world.platform.suspendLicense(for: world.a.number, reason: "確認", by: operatorActor)
        #expect(try await world.platform.signCheckpointIfAdvanced() != nil)
        #expect(try await world.platform.signCheckpointIfAdvanced() == nil)
        let unsigned = try await Harness(.memory, signCheckpoints: false)
        await expectRefusal(.noSigningKey) { try await unsigned.platform.signCheckpoint() }
    }
}
