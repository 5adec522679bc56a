internal import COpenSSL
import Foundation

/// One entry of a CRL: which certificate, and since when.
public struct RevokedCertificate: Hashable, Sendable {
    /// The revoked certificate's serial number.
    public var serialNumber: CertificateSerialNumber
    /// When it was revoked.
    public var revocationDate: Date

    /// An entry for `serialNumber`, revoked at `revocationDate`.
    public init(serialNumber: CertificateSerialNumber, revocationDate: Date) {
        self.serialNumber = serialNumber
        self.revocationDate = revocationDate
    }
}

/// An X.509 v2 certificate revocation list, signed by the issuing CA (RFC 5280 section 5).
///
/// The platform publishes one from its issuing intermediate (``PlatformCA/makeRevocationList(revoked:number:thisUpdate:nextUpdate:)``)
/// and the server checks it at every handshake through ``TrustStore``. Immutable, so `Sendable`.
public final class CertificateRevocationList: @unchecked Sendable {
    let pointer: OpaquePointer

    init(taking pointer: OpaquePointer) { self.pointer = pointer }

    deinit { X509_CRL_free(pointer) }

    /// Reads a CRL from PEM ("X509 CRL").
    public convenience init(pem: String) throws(CryptoError) {
        try checkPEM(pem, label: "X509 CRL")
        let bio = try MemoryBIO(Array(pem.utf8))
        OpenSSLErrorQueue.clear()
        guard let crl = PEM_read_bio_X509_CRL(bio.pointer, nil, nil, nil) else {
            throw .openSSL(.malformedPEM, "the PEM text holds no CRL")
        }
        self.init(taking: crl)
    }

    /// Reads a CRL from DER.
    public convenience init(der: [UInt8]) throws(CryptoError) {
        self.init(taking: try decodeDER(der, limit: CryptoLimits.maximumCRLBytes, "a CRL") { d2i_X509_CRL(nil, &$0, $1) })
    }

    /// The CRL as PEM.
    public var pem: String { encodeInMemory("a CRL") { PEM_write_bio_X509_CRL($0, pointer) }.string }

    /// The CRL as DER.
    public var der: [UInt8] { encodeInMemory("a CRL") { i2d_X509_CRL_bio($0, pointer) }.bytes }

    /// The issuer in RFC 2253 form.
    public var issuer: String { DistinguishedName.text(X509_CRL_get_issuer(pointer)) }

    /// When this CRL was issued.
    public var thisUpdate: Date { ASN1Time.date(X509_CRL_get0_lastUpdate(pointer)) }

    /// When the next CRL is due; after it, this one no longer answers for revocation.
    public var nextUpdate: Date { ASN1Time.date(X509_CRL_get0_nextUpdate(pointer)) }

    /// The revoked certificates.
    public var revoked: [RevokedCertificate] {
        (0..<renkei_X509_CRL_revoked_count(pointer)).compactMap { index in
            guard let entry = renkei_X509_CRL_revoked(pointer, index) else { return nil }
            return RevokedCertificate(serialNumber: CertificateSerialNumber(asn1: X509_REVOKED_get0_serialNumber(entry)),
                                      revocationDate: ASN1Time.date(X509_REVOKED_get0_revocationDate(entry)))
        }
    }

    /// Every CRL in a PEM text holding several (or none).
    public static func all(pem: String) throws(CryptoError) -> [CertificateRevocationList] {
        let end = "-----END X509 CRL-----"
        var lists: [CertificateRevocationList] = []
        for part in pem.components(separatedBy: end) {
            let text = part.trimmingCharacters(in: .whitespacesAndNewlines)
            if !text.isEmpty { lists.append(try CertificateRevocationList(pem: text + "\n" + end + "\n")) }
        }
        return lists
    }

    /// Whether `issuer`'s key signed this CRL.
    public func isSigned(by issuer: Certificate) -> Bool {
        guard let key = X509_get0_pubkey(issuer.pointer) else { return false }
        defer { OpenSSLErrorQueue.clear() }
        return X509_CRL_verify(pointer, key) == 1
    }

    /// Signs a new CRL as `issuer` with `issuerKey`.
    static func make(issuer: Certificate, issuerKey: PrivateKey, revoked: [RevokedCertificate], number: UInt64,
                     thisUpdate: Date, nextUpdate: Date) throws(CryptoError) -> CertificateRevocationList {
        guard thisUpdate < nextUpdate else {
            throw CryptoError(.invalidParameter, "thisUpdate \(thisUpdate) is not before nextUpdate \(nextUpdate)")
        }
        OpenSSLErrorQueue.clear()
        guard let pointer = X509_CRL_new() else { throw .openSSL(.openSSLFailure, "out of memory") }
        let crl = CertificateRevocationList(taking: pointer)
        let last = try ASN1Time.make(thisUpdate)
        defer { ASN1_TIME_free(last) }
        let next = try ASN1Time.make(nextUpdate)
        defer { ASN1_TIME_free(next) }
        guard X509_CRL_set_version(pointer, 1) == 1,
              X509_CRL_set_issuer_name(pointer, X509_get_subject_name(issuer.pointer)) == 1,
              X509_CRL_set1_lastUpdate(pointer, last) == 1,
              X509_CRL_set1_nextUpdate(pointer, next) == 1 else {
            throw .openSSL(.openSSLFailure, "could not fill the CRL")
        }
        for entry in revoked {
            guard let item = X509_REVOKED_new() else { throw .openSSL(.openSSLFailure, "out of memory") }
            do throws(CryptoError) {
                guard let serial = ASN1_INTEGER_new() else { throw CryptoError.openSSL(.openSSLFailure, "out of memory") }
                defer { ASN1_INTEGER_free(serial) }
                try entry.serialNumber.write(to: serial)
                let date = try ASN1Time.make(entry.revocationDate)
                defer { ASN1_TIME_free(date) }
                guard X509_REVOKED_set_serialNumber(item, serial) == 1,
                      X509_REVOKED_set_revocationDate(item, date) == 1 else {
                    throw CryptoError.openSSL(.openSSLFailure, "could not fill a CRL entry")
                }
            } catch {
                X509_REVOKED_free(item)
                throw error
            }
            guard X509_CRL_add0_revoked(pointer, item) == 1 else {
                X509_REVOKED_free(item)
                throw .openSSL(.openSSLFailure, "could not add a CRL entry")
            }
        }
        X509_CRL_sort(pointer)

        var context = X509V3_CTX()
        X509V3_set_ctx(&context, issuer.pointer, nil, nil, pointer, 0)
        guard let authorityKey = X509V3_EXT_conf_nid(nil, &context, NID_authority_key_identifier, "keyid:always") else {
            throw .openSSL(.openSSLFailure, "could not make the CRL's authority key identifier")
        }
        defer { X509_EXTENSION_free(authorityKey) }
        guard let crlNumber = ASN1_INTEGER_new() else { throw .openSSL(.openSSLFailure, "out of memory") }
        defer { ASN1_INTEGER_free(crlNumber) }
        guard X509_CRL_add_ext(pointer, authorityKey, -1) == 1, ASN1_INTEGER_set_uint64(crlNumber, number) == 1,
              X509_CRL_add1_ext_i2d(pointer, NID_crl_number, crlNumber, 0, 0) == 1 else {
            throw .openSSL(.openSSLFailure, "could not add the CRL extensions")
        }
        guard X509_CRL_sign(pointer, issuerKey.pointer, EVP_sha256()) > 0 else {
            throw .openSSL(.openSSLFailure, "could not sign the CRL")
        }
        return crl
    }
}
