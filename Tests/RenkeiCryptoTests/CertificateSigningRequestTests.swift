import Foundation
import RenkeiCrypto
import Testing

@Suite struct CertificateSigningRequestTests {
    @Test func officeNumberMustBeExactlyTenASCIIDigits() throws {
        #expect(try OfficeIdentity(officeNumber: "1310000001").officeNumber == "1310000001")
        for bad in ["131000000", "13100000011", "13100000a1", "１３１００００００１", "", " 131000000"] {
            expectError(.invalidOfficeNumber) { try OfficeIdentity(officeNumber: bad) }
        }
        expectError(.invalidParameter) { try OfficeIdentity(officeNumber: "1310000001", role: .server) }
    }

    @Test func requestCarriesTheIdentityAndRoundTrips() throws {
        let key = try PrivateKey.generate()
        let identity = try OfficeIdentity(officeNumber: "2710000002", role: .auditor)
        let request = try CertificateSigningRequest(key: key, identity: identity)
        #expect(request.subject == "CN=2710000002,OU=auditor")
        #expect(try CertificateSigningRequest(pem: request.pem).requestedIdentity() == identity)
        #expect(try CertificateSigningRequest(der: request.der).requestedIdentity() == identity)
    }

    @Test func requestFromTheCommandLineIsAcceptedAndIssued() throws {
        let openssl = try OpenSSLCommand()
        let platform = try TestPlatform()
        try openssl.runChecked("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "office.key")
        try openssl.runChecked("req", "-new", "-key", "office.key", "-subj", "/OU=office/CN=1310000009", "-out", "office.csr")
        let request = try CertificateSigningRequest(pem: openssl.readText("office.csr"))
        let identity = try OfficeIdentity(officeNumber: "1310000009")
        #expect(try request.requestedIdentity() == identity)
        let certificate = try platform.ca.issueCertificate(for: request, identity: identity,
                                                           notBefore: TestPlatform.now - 60, notAfter: TestPlatform.now + 86400)
        let verified = try platform.trustStore().verify(chain: [certificate], at: TestPlatform.now)
        #expect(verified.identity == identity)
        #expect(try PrivateKey(pem: openssl.readText("office.key")).matches(certificate))
    }

    @Test func issuingRefusesARequestForAnotherIdentity() throws {
        let platform = try TestPlatform()
        let request = try CertificateSigningRequest(key: PrivateKey.generate(), identity: OfficeIdentity(officeNumber: "1310000001"))
        expectError(.requestSubjectMismatch) {
            try platform.ca.issueCertificate(for: request, identity: OfficeIdentity(officeNumber: "1310000002"),
                                             notBefore: TestPlatform.now, notAfter: TestPlatform.now + 60)
        }
        expectError(.requestSubjectMismatch) {
            try platform.ca.issueCertificate(for: request, identity: OfficeIdentity(officeNumber: "1310000001", role: .operator),
                                             notBefore: TestPlatform.now, notAfter: TestPlatform.now + 60)
        }
    }

    @Test func subjectsOutsideTheRuleAreRefused() throws {
        let openssl = try OpenSSLCommand()
        try openssl.runChecked("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "k.pem")
        let cases = ["/CN=hello": CryptoError.Code.subjectNotRecognized, "/OU=office/CN=131000000": .subjectNotRecognized,
                     "/OU=admin/CN=1310000001": .subjectNotRecognized, "/OU=office/OU=operator/CN=1310000001": .subjectNotRecognized,
                     "/O=Renkei": .subjectNotRecognized]
        for (subject, code) in cases {
            try openssl.runChecked("req", "-new", "-key", "k.pem", "-subj", subject, "-out", "r.csr")
            let request = try CertificateSigningRequest(pem: openssl.readText("r.csr"))
            expectError(code) { try request.requestedIdentity() }
        }
    }

    @Test func alteredRequestFailsItsSelfSignature() throws {
        let request = try CertificateSigningRequest(key: PrivateKey.generate(), identity: OfficeIdentity(officeNumber: "1310000001"))
        var der = request.der
        // The subject's CN bytes sit inside the signed part: change one digit.
        let digits = Array("1310000001".utf8)
        let at = try #require(der.indices.first { der[$0...].starts(with: digits) })
        der[at + 9] = UInt8(ascii: "2")
        let altered = try CertificateSigningRequest(der: der)
        expectError(.requestSignatureInvalid) { try altered.requestedIdentity() }
    }
}
