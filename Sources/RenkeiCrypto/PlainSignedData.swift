internal import COpenSSL

/// The send-unit signature in the one form `SendUnitSignature.sign` makes it (OpenSSL's `CMS_sign`, detached,
/// no S/MIME capabilities): a SignedData of version 1 with one SHA-256 digest algorithm, `id-data` content
/// left out, one SignerInfo of version 1 naming its signer by issuer and serial number, the signed attributes
/// content type (`id-data`), signing time and message digest — each once, with one value — then
/// ecdsa-with-SHA256, the signature, and nothing after it; every length in strict DER. Its certificates have
/// been split off already (`CMSCertificateSplit`) and parsed once.
///
/// A signature in exactly that form is checked here with the digests and one ECDSA verification, which is
/// what `CMS_verify` does with it, without decoding the whole structure into OpenSSL's objects and encoding
/// the signed attributes again — half of the verification's CPU (about 40 of the 80 µs an upload spent).
/// The bytes hashed are the bytes `CMS_verify` hashes (it encodes the received attributes back in their
/// received order, which gives the same bytes when they were strict DER) and the signer is the one it would
/// pick. Anything else — another form, another algorithm, a signature or digest that does not verify — is
/// declined (nil), and the caller takes `CMS_verify`'s path, which decides and names the refusal: this path
/// accepts only what that one accepts, and refuses nothing itself. `PlainSignedDataTests` compares the two
/// on signatures made by this code and by the openssl command line, whole and damaged.
enum PlainSignedData {
    /// A parsed certificate with the DER of its issuer name and serial number, as a SignerInfo names it.
    struct Candidate {
        let certificate: Certificate
        /// The issuer Name's TLV followed by the serial number's TLV, from the certificate's own DER.
        let issuerAndSerial: [UInt8]
        /// The serial number's TLV alone.
        let serial: [UInt8]

        /// The candidate for `certificate`, whose DER is `der`; nil when `der` is not plain DER.
        init?(_ certificate: Certificate, der: [UInt8]) {
            var reader = DERReader(der)
            guard let outer = reader.element(0x30), reader.isAtEnd else { return nil }
            var certificateFields = DERReader(der, outer)
            guard let tbs = certificateFields.element(0x30) else { return nil }
            var fields = DERReader(der, tbs)
            if fields.peek == 0xA0 { guard fields.element(0xA0) != nil else { return nil } }  // the version
            guard let serial = fields.element(0x02), fields.element(0x30) != nil, let issuer = fields.element(0x30) else { return nil }
            self.certificate = certificate
            self.serial = Array(der[serial.header ..< serial.end])
            self.issuerAndSerial = Array(der[issuer.header ..< issuer.end]) + self.serial
        }
    }

    // Object identifiers, as their DER TLVs.
    static let signedDataOID: [UInt8] = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02]
    static let dataOID: [UInt8] = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01]
    static let sha256OID: [UInt8] = [0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01]
    static let ecdsaWithSHA256OID: [UInt8] = [0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02]
    static let contentTypeOID: [UInt8] = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x03]
    static let messageDigestOID: [UInt8] = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x04]
    static let signingTimeOID: [UInt8] = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x05]

    /// The signer, when `cms` (a ContentInfo without certificates) is in the plain form, its signer is among
    /// `candidates` (the first whose serial number it names, as `CMS_verify` picks the first that matches),
    /// its message digest is SHA-256 of `manifest`, and its signature verifies with the signer's EC key; nil
    /// otherwise.
    static func signer(of cms: [UInt8], manifest: [UInt8], candidates: [Candidate]) -> Certificate? {
        var top = DERReader(cms)
        guard let info = top.element(0x30), top.isAtEnd else { return nil }
        var infoFields = DERReader(cms, info)
        guard infoFields.take(signedDataOID), let explicit = infoFields.element(0xA0), infoFields.isAtEnd else { return nil }
        var inExplicit = DERReader(cms, explicit)
        guard let signedData = inExplicit.element(0x30), inExplicit.isAtEnd else { return nil }
        var fields = DERReader(cms, signedData)
        guard fields.take([0x02, 0x01, 0x01]), let algorithms = fields.element(0x31), let encapsulated = fields.element(0x30),
              let signerInfos = fields.element(0x31), fields.isAtEnd else { return nil }
        var digestAlgorithms = DERReader(cms, algorithms)
        guard sha256Algorithm(&digestAlgorithms), digestAlgorithms.isAtEnd else { return nil }
        var content = DERReader(cms, encapsulated)
        guard content.take(dataOID), content.isAtEnd else { return nil }  // detached: no eContent
        var infos = DERReader(cms, signerInfos)
        guard let signerInfo = infos.element(0x30), infos.isAtEnd else { return nil }

        var signer = DERReader(cms, signerInfo)
        guard signer.take([0x02, 0x01, 0x01]), let sid = signer.element(0x30), sha256Algorithm(&signer),
              let attributes = signer.element(0xA0), signer.take([0x30, 0x0A] + ecdsaWithSHA256OID),
              let signature = signer.element(0x04), signer.isAtEnd else { return nil }

        // The signer: the first candidate with the serial number named, if its issuer's bytes are the ones named.
        let named = Array(cms[sid.body ..< sid.end])
        var sidFields = DERReader(cms, sid)
        guard sidFields.element(0x30) != nil, let serial = sidFields.element(0x02), sidFields.isAtEnd,
              let candidate = candidates.first(where: { $0.serial.elementsEqual(cms[serial.header ..< serial.end]) }),
              candidate.issuerAndSerial == named else { return nil }

        // The signed attributes: exactly content type, message digest and signing time, each with one value.
        var attributeReader = DERReader(cms, attributes)
        var seen = (contentType: false, digest: false, time: false)
        while !attributeReader.isAtEnd {
            guard let attribute = attributeReader.element(0x30) else { return nil }
            var parts = DERReader(cms, attribute)
            guard let type = parts.element(0x06), let values = parts.element(0x31), parts.isAtEnd else { return nil }
            var valueReader = DERReader(cms, values)
            let oid = cms[type.header ..< type.end]
            if oid.elementsEqual(contentTypeOID), !seen.contentType {
                guard valueReader.take(dataOID) else { return nil }
                seen.contentType = true
            } else if oid.elementsEqual(messageDigestOID), !seen.digest {
                guard let digest = valueReader.element(0x04), digest.end - digest.body == SHA256Digest.byteCount,
                      SHA256Digest(bytes: cms[digest.body ..< digest.end]) == SHA256.hash(manifest) else { return nil }
                seen.digest = true
            } else if oid.elementsEqual(signingTimeOID), !seen.time {
                guard valueReader.element(0x17) != nil || valueReader.element(0x18) != nil else { return nil }
                seen.time = true
            } else {
                return nil
            }
            guard valueReader.isAtEnd else { return nil }
        }
        guard seen == (true, true, true) else { return nil }

        // What was signed: the attributes as a SET (their [0] tag replaced), hashed, and checked with the key.
        var signed = Array(cms[attributes.header ..< attributes.end])
        signed[0] = 0x31
        let digest = SHA256.hash(signed)
        guard let key = X509_get0_pubkey(candidate.certificate.pointer), EVP_PKEY_get_base_id(key) == EVP_PKEY_EC,
              let context = EVP_PKEY_CTX_new_from_pkey(nil, key, nil) else { return nil }
        defer { EVP_PKEY_CTX_free(context) }
        guard EVP_PKEY_verify_init(context) == 1 else { return nil }
        let verified = cms[signature.body ..< signature.end].withUnsafeBufferPointer { signatureBytes in
            digest.withUnsafeBytes { digestBytes in
                EVP_PKEY_verify(context, signatureBytes.baseAddress, signatureBytes.count,
                                digestBytes.baseAddress?.assumingMemoryBound(to: UInt8.self), digestBytes.count)
            }
        }
        return verified == 1 ? candidate.certificate : nil
    }

    /// Reads an AlgorithmIdentifier for SHA-256, with its parameters left out or NULL.
    private static func sha256Algorithm(_ reader: inout DERReader) -> Bool {
        guard let algorithm = reader.element(0x30) else { return false }
        var parts = DERReader(reader.bytes, algorithm)
        guard parts.take(sha256OID) else { return false }
        if !parts.isAtEnd { guard parts.take([0x05, 0x00]) else { return false } }
        return parts.isAtEnd
    }
}

/// Strict DER, one element after another within a range: single-byte tags, definite lengths in their
/// shortest form. Anything else ends the reading (nil), and the plain path declines.
struct DERReader {
    /// Where an element lies: its header, its body and its end.
    struct Element {
        let header: Int
        let body: Int
        let end: Int
    }

    let bytes: [UInt8]
    private var position: Int
    private let end: Int

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        position = 0
        end = bytes.count
    }

    /// The elements inside `parent`'s body.
    init(_ bytes: [UInt8], _ parent: Element) {
        self.bytes = bytes
        position = parent.body
        end = parent.end
    }

    var isAtEnd: Bool { position == end }

    /// The next element's tag, if there is one.
    var peek: UInt8? { position < end ? bytes[position] : nil }

    /// The next element, when its tag is `tag`; reading moves past it.
    mutating func element(_ tag: UInt8) -> Element? {
        guard position + 2 <= end, bytes[position] == tag, tag & 0x1F != 0x1F else { return nil }
        let first = Int(bytes[position + 1])
        var body = position + 2
        var length = first
        if first & 0x80 != 0 {
            let count = first & 0x7F
            // 0x80 (indefinite) is BER; DER writes a length of under 128 in one byte and no leading zero.
            guard (1...3).contains(count), body + count <= end, bytes[body] != 0 else { return nil }
            length = 0
            for index in 0 ..< count { length = length << 8 | Int(bytes[body + index]) }
            guard length >= 0x80 else { return nil }
            body += count
        }
        guard length <= end - body else { return nil }
        let element = Element(header: position, body: body, end: body + length)
        position = element.end
        return element
    }

    /// Moves past the next element when its bytes are exactly `expected`.
    mutating func take(_ expected: [UInt8]) -> Bool {
        guard expected.count <= end - position, bytes[position ..< position + expected.count].elementsEqual(expected) else { return false }
        // The expected bytes are one whole element: check that it ends where they do.
        var probe = self
        guard let element = probe.element(expected[0]), element.end == position + expected.count else { return false }
        position = element.end
        return true
    }
}
