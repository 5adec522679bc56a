public import RenkeiStore
import RenkeiCrypto

extension Platform {
    /// Runs a command's body and turns whatever it throws into a `DomainError`: refusals pass through,
    /// store errors keep their number inside `.storage`, anything else is a storage failure.
    func guarded<R>(_ body: () async throws -> R) async throws(DomainError) -> R {
        do {
            return try await body()
        } catch let error as DomainError {
            throw error
        } catch let error as StoreError {
            throw DomainError(store: error)
        } catch {
            throw DomainError(.storage, "\(error)")
        }
    }

    /// Reads from one consistent snapshot of the store (the log, blobs, projections), its errors as the
    /// platform's: for readers beside the commands and queries, such as a server's streams.
    public func reading<R: Sendable>(_ body: @Sendable (any StoreSnapshot) async throws -> R) async throws(DomainError) -> R {
        try await guarded { try await store.read(body) }
    }

    /// Refuses unless `actor` is an operator (or the platform itself).
    static func requireOperator(_ actor: Actor) throws(DomainError) {
        switch actor {
        case .operator, .system: return
        default: throw DomainError(.notAuthorized, "\(actor) is not an operator")
        }
    }

    /// Refuses unless `actor` is an operator, the platform, or the office `office` itself.
    static func requireOperatorOrOffice(_ actor: Actor, _ office: String) throws(DomainError) {
        if case .office(let number) = actor, number.rawValue == office { return }
        try requireOperator(actor)
    }
}

/// Bounds on free text from outside.
enum TextRule {
    /// 1…`maximum` characters (0… when `optional`), no control characters.
    static func check(_ text: String, _ field: String, maximum: Int, optional: Bool = false) throws(DomainError) {
        let count = text.count
        guard (optional ? 0 : 1)...maximum ~= count else {
            throw DomainError(.invalidArgument, "\(field): \(optional ? 0 : 1) to \(maximum) characters, not \(count)")
        }
        guard !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw DomainError(.invalidArgument, "\(field) contains a control character")
        }
    }
}
