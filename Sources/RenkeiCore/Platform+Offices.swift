public import RenkeiModel
public import RenkeiStore

/// What an office gives when it applies (利用申請), and what an operator may change later.
public struct OfficeDetails: Hashable, Sendable {
    /// The office's name, 1 to 100 characters.
    public var name: String
    /// Its サービス種類コード (43 for 居宅介護支援, 46 for 介護予防支援, 11 for 訪問介護, …), 1 to 20.
    public var serviceKinds: [ServiceKindCode]
    /// Its 都道府県コード, 1 to 47.
    public var prefecture: Int
    /// Who to contact, and how (each at most 200 characters; may be empty).
    public var contactPerson: String
    public var phone: String
    public var email: String
    public var address: String

    /// Details.
    public init(name: String, serviceKinds: [ServiceKindCode], prefecture: Int, contactPerson: String = "",
                phone: String = "", email: String = "", address: String = "") {
        self.name = name
        self.serviceKinds = serviceKinds
        self.prefecture = prefecture
        self.contactPerson = contactPerson
        self.phone = phone
        self.email = email
        self.address = address
    }

    /// Whether the office plans care (居宅介護支援 43, 介護予防支援 46): it sends 予定 and 計画書; other
    /// offices send 実績.
    public var plansCare: Bool { serviceKinds.contains { $0.rawValue == "43" || $0.rawValue == "46" } }

    func validate() throws(DomainError) {
        try TextRule.check(name, "name", maximum: 100)
        guard (1...20).contains(serviceKinds.count), Set(serviceKinds).count == serviceKinds.count else {
            throw DomainError(.invalidArgument, "service kinds: 1 to 20 distinct codes, not \(serviceKinds.count)")
        }
        guard (1...47).contains(prefecture) else { throw DomainError(.invalidArgument, "prefecture code: 1 to 47, not \(prefecture)") }
        for (value, field) in [(contactPerson, "contact person"), (phone, "phone"), (email, "email"), (address, "address")] {
            try TextRule.check(value, field, maximum: 200, optional: true)
        }
    }

    var contact: PBOfficeContact {
        var contact = PBOfficeContact()
        contact.person = contactPerson
        contact.phone = phone
        contact.email = email
        contact.address = address
        return contact
    }
}

extension Platform {
    /// Records an office's application (利用申請). The office itself or an operator applies; an office
    /// that is approved or already pending is refused, a rejected or deregistered one may apply again.
    @discardableResult
    public func requestRegistration(
        of office: OfficeNumber, details: OfficeDetails, billingLoginID: String, by actor: Actor, request: RequestID = .random()
    ) async throws(DomainError) -> SequenceNumber {
        try Self.requireOperatorOrOffice(actor, office.rawValue)
        try details.validate()
        guard (1...32).contains(billingLoginID.utf8.count), billingLoginID.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw DomainError(.invalidArgument, "the 電子請求受付システム login id: 1 to 32 printable ASCII characters")
        }
        return try await decideAndCommit(by: actor, request: request) { decision, reader in
            if let existing = try await reader.office(office.rawValue), [.pending, .approved].contains(existing.status) {
                throw DomainError(.alreadyRegistered, "\(office) is \(existing.status == .pending ? "pending" : "registered")")
            }
            var event = PBRegistrationRequested()
            event.officeNumber = office.rawValue
            event.name = details.name
            event.serviceKinds = details.serviceKinds.map(\.rawValue)
            event.prefecture = UInt32(details.prefecture)
            event.contact = details.contact
            event.billingLoginID = billingLoginID
            decision.events.append(.registrationRequested(event))
        }
    }

    /// Approves a pending application (operators only).
    @discardableResult
    public func approveRegistration(of office: OfficeNumber, by actor: Actor, request: RequestID = .random()) async throws(DomainError) -> SequenceNumber {
        try Self.requireOperator(actor)
        return try await decidePending(office, by: actor, request: request) {
            var event = PBRegistrationApproved()
            event.officeNumber = office.rawValue
            return .registrationApproved(event)
        }
    }

    /// Rejects a pending application with a reason (operators only).
    @discardableResult
    public func rejectRegistration(of office: OfficeNumber, reason: String, by actor: Actor, request: RequestID = .random()) async throws(DomainError) -> SequenceNumber {
        try Self.requireOperator(actor)
        try TextRule.check(reason, "reason", maximum: 500)
        return try await decidePending(office, by: actor, request: request) {
            var event = PBRegistrationRejected()
            event.officeNumber = office.rawValue
            event.reason = reason
            return .registrationRejected(event)
        }
    }

    private func decidePending(_ office: OfficeNumber, by actor: Actor, request: RequestID, _ make: @escaping @Sendable () -> DomainEvent) async throws(DomainError) -> SequenceNumber {
        try await decideAndCommit(by: actor, request: request) { decision, reader in
            guard let record = try await reader.office(office.rawValue) else { throw DomainError(.officeNotFound, office.rawValue) }
            guard record.status == .pending else { throw DomainError(.registrationNotPending, "\(office) is \(record.status)") }
            decision.events.append(make())
        }
    }

    /// Changes a registered office's details (an operator, or the office itself).
    @discardableResult
    public func changeOfficeDetails(of office: OfficeNumber, to details: OfficeDetails, by actor: Actor, request: RequestID = .random()) async throws(DomainError) -> SequenceNumber {
        try Self.requireOperatorOrOffice(actor, office.rawValue)
        try details.validate()
        return try await decideAndCommit(by: actor, request: request) { decision, reader in
            try await Self.requireApproved(office, reader)
            var event = PBOfficeDetailsChanged()
            event.officeNumber = office.rawValue
            event.name = details.name
            event.serviceKinds = details.serviceKinds.map(\.rawValue)
            event.prefecture = UInt32(details.prefecture)
            event.contact = details.contact
            decision.events.append(.officeDetailsChanged(event))
        }
    }

    /// Deregisters a registered office (operators only). What it received stays readable for the audit.
    @discardableResult
    public func deregisterOffice(_ office: OfficeNumber, reason: String, by actor: Actor, request: RequestID = .random()) async throws(DomainError) -> SequenceNumber {
        try Self.requireOperator(actor)
        try TextRule.check(reason, "reason", maximum: 500)
        return try await decideAndCommit(by: actor, request: request) { decision, reader in
            try await Self.requireApproved(office, reader)
            var event = PBOfficeDeregistered()
            event.officeNumber = office.rawValue
            event.reason = reason
            decision.events.append(.officeDeregistered(event))
        }
    }

    @discardableResult
    static func requireApproved(_ office: OfficeNumber, _ reader: DecisionReader) async throws -> PBOfficeRecord {
        guard let record = try await reader.office(office.rawValue) else { throw DomainError(.officeNotFound, office.rawValue) }
        guard record.status == .approved else { throw DomainError(.officeNotFound, "\(office) is not registered (\(record.status))") }
        return record
    }
}
