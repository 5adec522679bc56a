import Foundation
public import RenkeiCrypto
public import RenkeiModel
public import RenkeiStore

extension Platform {
    /// Records a certificate the platform CA issued (the CA signs; this records it): serial, fingerprint,
    /// validity and whom it identifies. Operators and the platform only; a serial is recorded once.
    @discardableResult
    public func recordCertificateIssued(_ certificate: Certificate, by actor: Actor, request: RequestID = .random()) async throws(DomainError) -> SequenceNumber {
        try Self.requireOperator(actor)
        let identity: OfficeIdentity
        do { identity = try certificate.claimedIdentity() } catch { throw DomainError(.invalidArgument, "the certificate names no Renkei identity: \(error)") }
        var event = PBCertificateIssued()
        event.serial = certificate.serialNumber.hex
        event.fingerprint = Data(SHA256.hash(certificate.der).bytes)
        event.notBeforeMicros = Int64(certificate.notBefore.timeIntervalSince1970 * 1_000_000)
        event.notAfterMicros = Int64(certificate.notAfter.timeIntervalSince1970 * 1_000_000)
        event.role = identity.role.rawValue
        if identity.role == .office { event.officeNumber = identity.officeNumber }
        event.subject = String(certificate.subject.prefix(500))
        let issued = event
        return try await decideAndCommit(by: actor, request: request) { decision, reader in
            guard try await reader.value(Keys.certificate(issued.serial)) == nil else {
                throw DomainError(.certificateState, "serial \(issued.serial) is already recorded")
            }
            decision.events.append(.certificateIssued(issued))
        }
    }

    /// Revokes a certificate (operators only): signatures it makes are refused from now on. The CRL the
    /// platform CA publishes is made from these events.
    @discardableResult
    public func revokeCertificate(serial: CertificateSerialNumber, reason: String, by actor: Actor, request: RequestID = .random()) async throws(DomainError) -> SequenceNumber {
        try Self.requireOperator(actor)
        try TextRule.check(reason, "reason", maximum: 500)
        return try await decideAndCommit(by: actor, request: request) { decision, reader in
            guard let record = try await reader.record(PBCertificateRecord.self, at: Keys.certificate(serial.hex)), !record.revoked else {
                throw DomainError(.certificateState, "serial \(serial.hex)")
            }
            var event = PBCertificateRevoked()
            event.serial = serial.hex
            event.reason = reason
            decision.events.append(.certificateRevoked(event))
        }
    }

    /// Trusts another issuer's office certificates (the 電子請求受付システム CA), operators only.
    @discardableResult
    public func addTrustedIssuer(_ certificate: Certificate, name: String, by actor: Actor, request: RequestID = .random()) async throws(DomainError) -> SequenceNumber {
        try Self.requireOperator(actor)
        try TextRule.check(name, "name", maximum: 200)
        guard certificate.isCertificateAuthority else { throw DomainError(.invalidArgument, "\(certificate.subject) is not a CA certificate") }
        let der = certificate.der
        return try await decideAndCommit(by: actor, request: request) { decision, reader in
            guard try await reader.value(Keys.trustedIssuer(SHA256.hash(der).bytes)) == nil else {
                throw DomainError(.issuerState, "\(name) is already trusted")
            }
            var event = PBTrustedIssuerAdded()
            event.certificateDer = Data(der)
            event.name = name
            decision.events.append(.trustedIssuerAdded(event))
        }
    }

    /// Stops trusting an issuer (operators only).
    @discardableResult
    public func removeTrustedIssuer(fingerprint: SHA256Digest, reason: String, by actor: Actor, request: RequestID = .random()) async throws(DomainError) -> SequenceNumber {
        try Self.requireOperator(actor)
        try TextRule.check(reason, "reason", maximum: 500)
        return try await decideAndCommit(by: actor, request: request) { decision, reader in
            guard try await reader.value(Keys.trustedIssuer(fingerprint.bytes)) != nil else {
                throw DomainError(.issuerState, "no trusted issuer has fingerprint \(fingerprint.hex)")
            }
            var event = PBTrustedIssuerRemoved()
            event.fingerprint = Data(fingerprint.bytes)
            event.reason = reason
            decision.events.append(.trustedIssuerRemoved(event))
        }
    }
}
