import RenkeiCore
import RenkeiModel
import RenkeiStore

extension Platform {
    /// The log's last committed sequence.
    func latestSequence() async throws(DomainError) -> SequenceNumber {
        try await reading { try await $0.latestSequence() }
    }

    /// The event at `sequence`, decoded; nil when there is none.
    func event(at sequence: SequenceNumber) async throws(DomainError) -> DomainEvent? {
        try await reading { snapshot in
            guard let event = try await snapshot.event(at: sequence) else { return nil }
            return try DomainEvent(kind: event.envelope.kind, body: event.body)
        }
    }
}
