import CarePlanStandard
import Foundation
import RenkeiAPI
import RenkeiClient
import RenkeiCore
import RenkeiModel
import Testing

/// The mailbox stream: catch-up from a cursor, then live, in order, nothing missed or doubled, across a
/// server restart in the middle; and a subscriber that stops reading stalls only itself.
@Suite(.serialized, .timeLimit(.minutes(10))) struct SubscriptionTests {

    @Test func catchUpThenLiveAcrossARestart() async throws {
        let platform = try await TestPlatform()
        let plan = Traffic().plan
        let sender = try await platform.enrol(plan.sender, kind: plan.senderKind)
        let recipient = try await platform.enrol(plan.recipient, kind: plan.recipientKind)
        let units = UnitSource(plan: plan)

        // Two units before the subscription: its catch-up.
        var sentIDs: [UInt64] = []
        for index in 0..<2 { sentIDs.append(try await sender.send(units.unit(index), to: plan.recipient.rawValue, checker: nil).unitID) }

        var received: [UInt64] = []
        var cursors: [UInt64] = []
        let stream = recipient.subscribe(after: 0, heartbeatSeconds: 1)
        var iterator = stream.makeAsyncIterator()
        func nextReceived() async throws -> UInt64 {
            while let message = try await iterator.next() {
                cursors.append(message.cursor)
                if case .received(let unit)? = message.event { return unit.unitID }
            }
            throw CancellationError()
        }
        for _ in 0..<2 { received.append(try await nextReceived()) }

        // Two live units.
        for index in 2..<4 { sentIDs.append(try await sender.send(units.unit(index), to: plan.recipient.rawValue, checker: nil).unitID) }
        for _ in 0..<2 { received.append(try await nextReceived()) }

        // The server restarts: the stream breaks, the client subscribes again from its last cursor.
        try await platform.restart()
        let senderAgain = try platform.client(sender.credential)
        for index in 4..<6 { sentIDs.append(try await senderAgain.send(units.unit(index), to: plan.recipient.rawValue, checker: nil).unitID) }
        for _ in 0..<2 { received.append(try await nextReceived()) }

        #expect(received == sentIDs, "every unit once, in order")
        #expect(cursors == cursors.sorted(), "cursors never go back")
        for client in [sender, senderAgain, recipient] { await client.close() }
        await platform.stop()
    }

    @Test func aSubscriberThatStopsReadingStallsOnlyItself() async throws {
        let platform = try await TestPlatform()
        let plan = Traffic().plan
        let sender = try await platform.enrol(plan.sender, kind: plan.senderKind)
        let reader = try await platform.enrol(plan.recipient, kind: plan.recipientKind)
        // The stalled subscriber: same office, its own connection with a small receive window, never read.
        let stalled = try RenkeiClient(host: "127.0.0.1", port: platform.port, credential: reader.credential,
                                       platformCAPEM: platform.caPEM, receiveWindowBytes: 4096)
        let stalledStream = stalled.subscribe(after: 0)
        let units = UnitSource(plan: plan)

        let count = 300
        let collector = Task {
            var seen: [UInt64] = []
            for try await message in reader.subscribe(after: 0) {
                if case .received(let unit)? = message.event { seen.append(unit.unitID) }
                if seen.count == count { break }
            }
            return seen
        }
        var sent: [UInt64] = []
        for index in 0..<count { sent.append(try await sender.send(units.unit(index), to: plan.recipient.rawValue, checker: nil).unitID) }
        let seen = try await collector.value
        #expect(seen == sent, "the reading subscriber got every unit while the other one did not read")

        // The stalled one, reading at last, gets every unit too, in order.
        var late: [UInt64] = []
        for try await message in stalledStream {
            if case .received(let unit)? = message.event { late.append(unit.unitID) }
            if late.count == count { break }
        }
        #expect(late == sent)
        for client in [sender, reader, stalled] { await client.close() }
        await platform.stop()
    }
}

/// Distinct units of one plan: the same files under a new 連番 each (the files' names and header carry it).
struct UnitSource {
    let plan: GeneratedSendUnit
    func unit(_ index: Int) -> [OutgoingFile] {
        let serial = plan.serialText
        let replacement = String(serial.prefix(8)) + String(format: "10%02d%02d", index / 60, index % 60)
        return plan.outgoing.map { file in
            OutgoingFile(name: file.name.replacingOccurrences(of: serial, with: replacement), bytes: file.bytes)
        }
    }
}
