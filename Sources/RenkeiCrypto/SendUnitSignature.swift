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
    public static func sign(manifest: [UInt8], key: PrivateKey, certificate: Certificate,
                            chain: [Certificate] = []) throws(CryptoError) -> SendUnitSignature {
        try CryptoLimits.check(manifest.count, within: maximumManifestBytes, "a manifest")
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
    public func verify(manifest: [UInt8], sender: String, trustStore: TrustStore, at time: Date) throws(CryptoError) -> VerifiedIdentity {
        try CryptoLimits.check(manifest.count, within: Self.maximumManifestBytes, "a manifest")
        let (signer, certificates) = try verifySignature(manifest: manifest)
        let others = certificates.filter { $0 != signer }
        let verified = try trustStore.verify(chain: [signer] + others.prefix(CryptoLimits.maximumChainLength - 1),
                                             at: time, use: .sendUnitSigning)
        guard verified.identity.role == .office, verified.identity.officeNumber == sender else {
            throw CryptoError(.signerNotSender, "the send unit is from \(sender) but was signed by \(verified.identity)")
        }
        return verified
    }

    /// Checks the signature over `manifest` with the embedded signer certificate, without judging that
    /// certificate; returns it and every certificate in the signature.
    func verifySignature(manifest: [UInt8]) throws(CryptoError) -> (signer: Certificate, certificates: [Certificate]) {
        OpenSSLErrorQueue.clear()
        let cms = der.withUnsafeBufferPointer { buffer in
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
        if CMS_verify(cms, nil, nil, content.pointer, nil, flags) != 1 {
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
        guard let signers = CMS_get0_signers(cms) else {
            throw .openSSL(.signatureMalformed, "the signature carries no signer certificate")
        }
        // CMS_get0_signers returns a new stack of borrowed certificates: free the stack, not them.
        let borrowed = CertificateStack(borrowingStack: signers)
        guard let signer = borrowed.certificates.first else {
            throw CryptoError(.signatureMalformed, "the signature carries no signer certificate")
        }
        let all = CMS_get1_certs(cms).map { CertificateStack(owning: $0).certificates } ?? []
        return (signer, all)
    }
}
