internal import COpenSSL
import Foundation

/// Builds and signs one X.509 v3 certificate. Internal: ``PlatformCA`` decides what goes in.
struct CertificateBuilder {
    /// The extensions a certificate gets, in OpenSSL's configuration syntax.
    enum Profile {
        /// The self-signed root.
        case root
        /// The issuing intermediate (no further CAs below it).
        case intermediate
        /// An office, operator or auditor: TLS client authentication and CMS signing.
        case client
        /// The platform's TLS server, for these DNS names and IP addresses.
        case server(subjectAltNames: [String])

        var extensions: [(Int32, String)] {
            switch self {
            case .root:
                [(NID_basic_constraints, "critical,CA:TRUE"), (NID_key_usage, "critical,keyCertSign,cRLSign")]
            case .intermediate:
                [(NID_basic_constraints, "critical,CA:TRUE,pathlen:0"), (NID_key_usage, "critical,keyCertSign,cRLSign")]
            case .client:
                [(NID_basic_constraints, "critical,CA:FALSE"), (NID_key_usage, "critical,digitalSignature,nonRepudiation"),
                 (NID_ext_key_usage, "clientAuth,emailProtection")]
            case .server(let names):
                [(NID_basic_constraints, "critical,CA:FALSE"), (NID_key_usage, "critical,digitalSignature,keyEncipherment"),
                 (NID_ext_key_usage, "serverAuth"), (NID_subject_alt_name, names.joined(separator: ","))]
            }
        }
    }

    var subject: OpaquePointer
    var publicKey: OpaquePointer
    var serialNumber: CertificateSerialNumber
    var notBefore: Date
    var notAfter: Date
    var profile: Profile

    /// Signs the certificate with `issuerKey`; `issuer` is nil for a self-signed root.
    func sign(issuer: Certificate?, issuerKey: PrivateKey) throws(CryptoError) -> Certificate {
        guard notBefore < notAfter else {
            throw CryptoError(.invalidParameter, "notBefore \(notBefore) is not before notAfter \(notAfter)")
        }
        if let issuer, notAfter > issuer.notAfter || notBefore < issuer.notBefore {
            throw CryptoError(.invalidParameter, "the validity \(notBefore)–\(notAfter) is outside the issuer's")
        }
        OpenSSLErrorQueue.clear()
        guard let x509 = X509_new() else { throw .openSSL(.openSSLFailure, "out of memory") }
        let certificate = Certificate(taking: x509)
        guard X509_set_version(x509, 2) == 1,
              X509_set_subject_name(x509, subject) == 1,
              X509_set_issuer_name(x509, issuer.map { X509_get_subject_name($0.pointer) } ?? subject) == 1,
              X509_set_pubkey(x509, publicKey) == 1,
              let serial = X509_get_serialNumber(x509) else {
            throw .openSSL(.openSSLFailure, "could not fill the certificate")
        }
        try serialNumber.write(to: serial)
        try ASN1Time.set(X509_getm_notBefore(x509), to: notBefore)
        try ASN1Time.set(X509_getm_notAfter(x509), to: notAfter)

        var context = X509V3_CTX()
        X509V3_set_ctx(&context, issuer?.pointer ?? x509, x509, nil, nil, 0)
        let identifiers: [(Int32, String)] = [
            (NID_subject_key_identifier, "hash"),
            (NID_authority_key_identifier, "keyid:always"),
        ]
        for (nid, value) in profile.extensions + identifiers {
            guard let ext = X509V3_EXT_conf_nid(nil, &context, nid, value) else {
                throw .openSSL(.invalidParameter, "could not make the extension \(value)")
            }
            defer { X509_EXTENSION_free(ext) }
            guard X509_add_ext(x509, ext, -1) == 1 else { throw .openSSL(.openSSLFailure, "could not add \(value)") }
        }
        guard X509_sign(x509, issuerKey.pointer, EVP_sha256()) > 0 else {
            throw .openSSL(.openSSLFailure, "could not sign the certificate")
        }
        return certificate
    }
}
