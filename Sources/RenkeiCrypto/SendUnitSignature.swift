internal import COpenSSL
import Foundation

/// An office's signature over the canonical manifest of a send unit (電子証明書を付与): a detached CMS
/// (PKCS#7) SignedData in DER, with one signer, SHA-256, signed attributes (content type, signing time,
/// message digest), and the signer's certificate plus its issuing intermediate.
///
/// The signature travels with the upload event, so the recipient and an auditor can verify it later —
/// here, or with `openssl cms -verify -binary -inform DER -content manifest -CAfile root.pem`.
/// A value type holding bytes; `Sendable`.
public struct SendUnitSignature: Hashable, Sendable {
    /// The CMS SignedData, DER.
    public let der: [UInt8]

    /// A signature from its DER bytes, as stored with the event. Decoding is checked by ``verify(manifest:sender:trustStore:at:)``.
    public init(der: [UInt8]) throws(CryptoError) {
        try CryptoLimits.check(der.count, within: CryptoLimits.maximumSignatureBytes, "a send-unit signature")
        self.der = der
    }

    /// Signs `manifest` (the canonical manifest bytes) with `key`, whose certificate is `certificate`;
    /// `chain` (normally the platform's intermediate) is embedded so a verifier needs only the root.
    ///
    /// The signer's certificate must be valid at `time` (`certificateExpired`, `certificateNotYetValid`),
    /// and, given a `trustStore` (with the current CRLs), its chain must verify there — so a client does
    /// not sign with a revoked certificate (`certificateRevoked`).
    public static func sign(manifest: [UInt8], key: PrivateKey, certificate: Certificate,
                            chain: [Certificate] = [], at time: Date = Date(), trustStore: TrustStore? = nil) throws(CryptoError) -> SendUnitSignature {
        try CryptoLimits.check(manifest.count, within: maximumManifestBytes, "a manifest")
        if let trustStore {
            _ = try trustStore.verify(chain: [certificate] + chain, at: time, use: .sendUnitSigning)
        } else if certificate.notAfter < time {
            throw CryptoError(.certificateExpired, "the signing certificate expired at \(certificate.notAfter)")
        } else if certificate.notBefore > time {
            throw CryptoError(.certificateNotYetValid, "the signing certificate is valid from \(certificate.notBefore)")
        }
        guard key.matches(certificate) else {
            throw CryptoError(.invalidParameter, "the key does not belong to the certificate \(certificate.subject)")
        }
        let content = try MemoryBIO(manifest)
        let extra = try CertificateStack(borrowing: chain)
        OpenSSLErrorQueue.clear()
        let flags = UInt32(CMS_DETACHED | CMS_BINARY | CMS_NOSMIMECAP)
        guard let cms = CMS_sign(certificate.pointer, key.pointer, extra.pointer, content.pointer, flags) else {
            throw .openSSL(.openSSLFailure, "could not sign the manifest")
        }
        defer { CMS_ContentInfo_free(cms) }
        return try SendUnitSignature(der: encode("a CMS signature") { i2d_CMS_bio($0, cms) }.bytes)
    }

    /// The largest manifest signed or verified.
    public static let maximumManifestBytes = 1024 * 1024

    /// Verifies that this signature is over exactly `manifest`, that its signer's chain leads to
    /// `trustStore` at `time` (for send-unit signing, not revoked), and that the signer is the office
    /// `sender` (the manifest's sender) with the office role; returns the signer.
    ///
    /// Refusals: `manifestMismatch` (the manifest was changed), `signatureInvalid` (the signature was
    /// changed or made with another key), `signatureMalformed`, `signerNotSender`, and every refusal of
    /// ``TrustStore/verify(chain:at:use:)``.
    ///
    /// With a `cache`, a signer whose chain this trust store verified before is not verified again (the
    /// signature itself always is).
    public func verify(manifest: [UInt8], sender: String, trustStore: TrustStore, at time: Date,
                       cache: VerifiedSignerCache? = nil) throws(CryptoError) -> VerifiedIdentity {
        try CryptoLimits.check(manifest.count, within: Self.maximumManifestBytes, "a manifest")
        let signer: Certificate, certificates: [Certificate], fingerprint: SHA256Digest?
        if let cache, let parts = CMSCertificateSplit.split(der) {
            // Certificates seen before are not decoded again: the signature is checked with the parsed ones,
            // in its plain form without OpenSSL's CMS code (`PlainSignedData`), else by `CMS_verify`.
            var parsed: [VerifiedSignerCache.ParsedCertificate] = []
            for certificateDER in parts.certificates.prefix(CryptoLimits.maximumChainLength) { parsed.append(try cache.certificate(der: certificateDER)) }
            // (Every certificate the signature carries, each in plain DER, or CMS_verify's path.)
            let candidates = parsed.compactMap(\.candidate)
            if parsed.count == parts.certificates.count, candidates.count == parsed.count,
               let plain = PlainSignedData.signer(of: parts.stripped, manifest: manifest, candidates: candidates),
               let entry = parsed.first(where: { $0.certificate === plain }) {
                try entry.profile.get()
                (signer, certificates, fingerprint) = (plain, parsed.map(\.certificate), entry.fingerprint)
            } else {
                (signer, certificates) = try verifySignature(manifest: manifest, cms: parts.stripped, certificates: parsed.map(\.certificate))
                fingerprint = parsed.first { $0.certificate === signer || $0.certificate == signer }?.fingerprint ?? SHA256.hash(signer.der)
            }
        } else {
            (signer, certificates) = try verifySignature(manifest: manifest)
            fingerprint = cache.map { _ in SHA256.hash(signer.der) }
        }
        let verified: VerifiedIdentity
        if let cache, let fingerprint, let known = cache.identity(of: signer, fingerprint: fingerprint, trustStore: trustStore, at: time) {
            verified = known
        } else {
            let others = certificates.filter { $0 != signer }
            verified = try trustStore.verify(chain: [signer] + others.prefix(CryptoLimits.maximumChainLength - 1),
                                             at: time, use: .sendUnitSigning)
            if let cache, let fingerprint { cache.insert(verified, notBefore: signer.notBefore, fingerprint: fingerprint, trustStore: trustStore) }
        }
        guard verified.identity.role == .office, verified.identity.officeNumber == sender else {
            throw CryptoError(.signerNotSender, "the send unit is from \(sender) but was signed by \(verified.identity)")
        }
        return verified
    }

    /// Checks the signature over `manifest` with the embedded signer certificate, without judging that
    /// certificate; returns it and every certificate in the signature.
    func verifySignature(manifest: [UInt8]) throws(CryptoError) -> (signer: Certificate, certificates: [Certificate]) {
        try verifySignature(manifest: manifest, cms: der, certificates: nil)
    }

    /// The same, on `cms` (this signature, or it without its certificates) with `certificates` (those it
    /// carried, already parsed) given to OpenSSL to find the signer among.
    func verifySignature(manifest: [UInt8], cms cmsDER: [UInt8], certificates given: [Certificate]?) throws(CryptoError) -> (signer: Certificate, certificates: [Certificate]) {
        OpenSSLErrorQueue.clear()
        let cms = cmsDER.withUnsafeBufferPointer { buffer in
            var cursor = buffer.baseAddress
            return d2i_CMS_ContentInfo(nil, &cursor, buffer.count)
        }
        guard let cms else { throw .openSSL(.signatureMalformed, "the signature is not a CMS structure") }
        defer { CMS_ContentInfo_free(cms) }
        guard OBJ_obj2nid(CMS_get0_type(cms)) == NID_pkcs7_signed, CMS_is_detached(cms) == 1,
              let infos = CMS_get0_SignerInfos(cms), OPENSSL_sk_num(infos) == 1 else {
            throw CryptoError(.signatureMalformed, "the signature must be detached SignedData with exactly one signer")
        }
        let content = try MemoryBIO(manifest)
        let flags = UInt32(CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY | CMS_DETACHED)
        let givenStack = try given.map { certificates throws(CryptoError) in try CertificateStack(borrowing: certificates) }
        if CMS_verify(cms, givenStack?.pointer, nil, content.pointer, nil, flags) != 1 {
            let entries = OpenSSLErrorQueue.drain()
            let reasons = entries.map(\.text)
            let cms = entries.filter { $0.library == ERR_LIB_CMS }.map(\.reasonCode)
            if cms.contains(CMS_R_CONTENT_VERIFY_ERROR) {
                throw CryptoError(.manifestMismatch, "the manifest is not the one that was signed", openSSLReasons: reasons)
            }
            if cms.contains(CMS_R_VERIFICATION_FAILURE) {
                throw CryptoError(.signatureInvalid, "the signature does not verify with the signer's key", openSSLReasons: reasons)
            }
            throw CryptoError(.signatureMalformed, "the signature could not be checked", openSSLReasons: reasons)
        }
        try Self.checkPolicy(OpaquePointer(OPENSSL_sk_value(infos, 0)))
        guard let signers = CMS_get0_signers(cms) else {
            throw .openSSL(.signatureMalformed, "the signature carries no signer certificate")
        }
        // CMS_get0_signers returns a new stack of borrowed certificates: free the stack, not them.
        let borrowed = CertificateStack(borrowingStack: signers)
        guard let signer = borrowed.certificates.first else {
            throw CryptoError(.signatureMalformed, "the signature carries no signer certificate")
        }
        let all = given ?? CMS_get1_certs(cms).map { CertificateStack(owning: $0).certificates } ?? []
        try Self.checkProfile(of: signer)
        return (signer, all)
    }

    /// The digests that give at least 112 bits of security.
    static let acceptedDigests: Set<Int32> = [NID_sha224, NID_sha256, NID_sha384, NID_sha512, NID_sha3_256, NID_sha3_384, NID_sha3_512]

    /// The platform's signature policy on the one signer: a digest of at least 112 bits of security, and
    /// the signed attributes content type, message digest and signing time.
    static func checkPolicy(_ info: OpaquePointer?) throws(CryptoError) {
        guard let info else { throw CryptoError(.signatureMalformed, "the signature has no signer information") }
        var digest: UnsafeMutablePointer<X509_ALGOR>?
        CMS_SignerInfo_get0_algs(info, nil, nil, &digest, nil)
        var object: OpaquePointer?
        if let digest { X509_ALGOR_get0(&object, nil, nil, digest) }
        let nid = object.map { OBJ_obj2nid($0) } ?? NID_undef
        guard acceptedDigests.contains(nid) else {
            let name = nid == NID_undef ? "an unknown digest" : String(cString: OBJ_nid2sn(nid))
            throw CryptoError(.weakDigest, "the signature uses \(name); at least SHA-224 (112-bit security) is required")
        }
        for (attribute, name) in [(NID_pkcs9_contentType, "content type"), (NID_pkcs9_messageDigest, "message digest"),
                                  (NID_pkcs9_signingTime, "signing time")] where CMS_signed_get_attr_by_NID(info, attribute, -1) < 0 {
            throw CryptoError(.signedAttributesMissing, "the signature has no signed \(name) attribute")
        }
    }

    /// The shape of an office certificate, which every signer must have: X.509 v3 with the key usage
    /// (digitalSignature or nonRepudiation) and extended key usage extensions, and a key the platform issues
    /// certificates for (EC P-256, EC P-384, RSA of 2048 bits and more).
    static func checkProfile(of signer: Certificate) throws(CryptoError) {
        guard X509_get_version(signer.pointer) == 2 else {
            throw CryptoError(.signerProfile, "\(signer.subject) is not an X.509 v3 certificate")
        }
        let flags = X509_get_extension_flags(signer.pointer)
        guard flags & UInt32(EXFLAG_KUSAGE) != 0, !signer.keyUsage.isDisjoint(with: [.digitalSignature, .nonRepudiation]) else {
            throw CryptoError(.signerProfile, "\(signer.subject) has no key usage for signatures")
        }
        guard flags & UInt32(EXFLAG_XKUSAGE) != 0 else {
            throw CryptoError(.signerProfile, "\(signer.subject) has no extended key usage")
        }
        guard let key = X509_get0_pubkey(signer.pointer) else { throw CryptoError(.signerProfile, "\(signer.subject) has no public key") }
        do { _ = try PrivateKey.kind(of: key) } catch {
            throw CryptoError(.signerProfile, "\(signer.subject): \(error.reason)")
        }
    }
}
