internal import COpenSSL

extension PrivateKey {
    /// A SHA-256 signature over `message`: ECDSA (DER `Ecdsa-Sig-Value`) for an EC key, RSASSA-PKCS1-v1_5
    /// for an RSA key — what `openssl dgst -sha256 -sign key.pem` writes.
    func signature(over message: [UInt8]) throws(CryptoError) -> [UInt8] {
        OpenSSLErrorQueue.clear()
        guard let context = EVP_MD_CTX_new() else { throw .openSSL(.openSSLFailure, "out of memory") }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestSignInit(context, nil, EVP_sha256(), nil, pointer) == 1 else {
            throw .openSSL(.openSSLFailure, "could not start signing")
        }
        var length = 0
        guard EVP_DigestSign(context, nil, &length, message, message.count) == 1 else {
            throw .openSSL(.openSSLFailure, "could not size the signature")
        }
        var signature = [UInt8](repeating: 0, count: length)
        guard EVP_DigestSign(context, &signature, &length, message, message.count) == 1 else {
            throw .openSSL(.openSSLFailure, "could not sign")
        }
        return Array(signature.prefix(length))
    }
}

extension Certificate {
    /// Whether `signature` is a valid SHA-256 signature over `message` by this certificate's key.
    func isValidSignature(_ signature: [UInt8], over message: [UInt8]) -> Bool {
        defer { OpenSSLErrorQueue.clear() }
        guard let key = X509_get0_pubkey(pointer), let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestVerifyInit(context, nil, EVP_sha256(), nil, key) == 1 else { return false }
        return EVP_DigestVerify(context, signature, signature.count, message, message.count) == 1
    }

    /// The certificate's public key as DER `SubjectPublicKeyInfo`.
    public func publicKeyDER() throws(CryptoError) -> [UInt8] {
        guard let key = X509_get0_pubkey(pointer) else { throw .openSSL(.malformedDER, "the certificate has no public key") }
        return try encode("a public key") { i2d_PUBKEY_bio($0, key) }.bytes
    }
}
