import CarePlanStandard
import Foundation
import RenkeiAPI
import RenkeiClient
import RenkeiCore
import RenkeiModel
import Testing

/// Two offices exchange a month's plan and its actuals through a running server, over mutual TLS, with
/// the Swift client.
@Suite(.serialized, .timeLimit(.minutes(10))) struct ExchangeTests {
    @Test func aPlanGoesOutAndItsActualsComeBack() async throws {
        let platform = try await TestPlatform()
        let traffic = Traffic()
        let plan = traffic.plan, actual = traffic.actual
        let careOffice = try await platform.enrol(plan.sender, kind: plan.senderKind)
        let serviceOffice = try await platform.enrol(plan.recipient, kind: plan.recipientKind)

        // 予定: the 居宅 office sends; the receipt comes after the durable commit.
        let receipt = try await careOffice.send(plan.outgoing, to: plan.recipient.rawValue, idempotencyKey: "plan-1")
        #expect(receipt.unitID > 0)
        #expect(!receipt.repeat)
        let again = try await careOffice.send(plan.outgoing, to: plan.recipient.rawValue, idempotencyKey: "plan-1")
        #expect(again.repeat && again.unitID == receipt.unitID, "the same key returns the first receipt")

        // The service office sees it in its inbox (未読), downloads every file, checks hashes and the signature.
        let inbox = try await serviceOffice.inbox()
        #expect(inbox.units.map(\.unitID) == [receipt.unitID])
        #expect(inbox.units.first?.status == .unread)
        #expect(inbox.units.first?.sender == plan.sender.rawValue)
        let (detail, files) = try await serviceOffice.downloadUnit(receipt.unitID)
        #expect(detail.signatureVerified)
        #expect(Dictionary(uniqueKeysWithValues: files.map { ($0.name, $0.bytes) }) == Dictionary(uniqueKeysWithValues: plan.outgoing.map { ($0.name, $0.bytes) }))
        try await serviceOffice.acknowledgeDownload(unit: receipt.unitID)
        #expect(try await careOffice.sent().units.first?.status == .downloaded)
        #expect(try await careOffice.unit(receipt.unitID).firstDownloadMicros > 0)

        // 実績: the service office sends back; the 居宅 office downloads it.
        let back = try await serviceOffice.send(actual.outgoing, to: actual.recipient.rawValue)
        let (_, actualFiles) = try await careOffice.downloadUnit(back.unitID)
        #expect(actualFiles.map(\.bytes) == actual.outgoing.sorted { $0.name < $1.name }.map(\.bytes))
        try await careOffice.acknowledgeDownload(unit: back.unitID)
        #expect(try await serviceOffice.sent().units.map(\.status) == [.downloaded])

        // A download resumes from an offset: the second half of a file, then the whole file agrees.
        let name = plan.outgoing[0].name
        let whole = plan.outgoing[0].bytes
        var tail = Array(whole.prefix(whole.count / 2))
        _ = try await serviceOffice.download(unit: receipt.unitID, file: name, into: &tail)
        #expect(tail == whole)

        for client in [careOffice, serviceOffice] { await client.close() }
        try await platform.platform.verifyProjections().forEach { #expect($0.matches, "\($0.space) differs from its rebuild") }
        await platform.stop()
    }

    @Test func aFileTheStandardRefusesIsRefusedBeforeSendingAndByTheServer() async throws {
        let platform = try await TestPlatform()
        let plan = Traffic().plan
        let careOffice = try await platform.enrol(plan.sender, kind: plan.senderKind)
        _ = try await platform.enrol(plan.recipient, kind: plan.recipientKind)
        var broken = plan.outgoing
        broken[0] = OutgoingFile(name: broken[0].name, bytes: Array("1,2,3\r\n".utf8))
        let refusal = await expectRefusal(.validationFailed) { try await careOffice.send(broken, to: plan.recipient.rawValue) }
        #expect(refusal?.detail?.findings.isEmpty == false, "the findings name file, line and column")
        #expect(refusal?.detail?.findings.first?.file == broken[0].name)
        // Sent without the client's check, the server refuses it with the same code and findings.
        let server = await expectRefusal(.validationFailed) { try await careOffice.send(broken, to: plan.recipient.rawValue, checker: nil) }
        #expect(server?.status == .invalidArgument)
        #expect(server?.detail?.findings.first?.file == broken[0].name)
        #expect((server?.detail?.findings.first?.line ?? 0) > 0)
        #expect(try await careOffice.sent().units.isEmpty)
        await careOffice.close()
        await platform.stop()
    }
}
