import Foundation
@testable import RenkeiCrypto
import Testing

/// The plain path of signature verification (`PlainSignedData`) accepts only what `CMS_verify` accepts, with
/// the same signer, and it is the path the platform's own signatures take.
@Suite struct PlainSignedDataTests {
    let platform: TestPlatform
    let office: Credential
    let manifest = Array("renkei-send-unit-manifest/v1\nsender 1310000001\nrecipient 1310000002\nunit 20270425103000\n".utf8)

    init() throws {
        platform = try TestPlatform()
        office = try platform.issue()
    }

    /// The signature without its certificates, and the certificates as the verifier's cache parses them.
    func parts(_ signature: SendUnitSignature) throws -> (stripped: [UInt8], certificates: [Certificate], candidates: [PlainSignedData.Candidate]) {
        let parts = try #require(CMSCertificateSplit.split(signature.der))
        let certificates = try parts.certificates.map { try Certificate(der: $0) }
        let candidates = try zip(certificates, parts.certificates).map { try #require(PlainSignedData.Candidate($0, der: $1)) }
        return (parts.stripped, certificates, candidates)
    }

    /// Whether the plain path and `CMS_verify` agree on `stripped`: when the plain path names a signer,
    /// `CMS_verify` accepts the same bytes with the same signer. Returns whether the plain path accepted.
    @discardableResult
    func agree(_ stripped: [UInt8], manifest: [UInt8], _ certificates: [Certificate], _ candidates: [PlainSignedData.Candidate],
               sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        guard let plain = PlainSignedData.signer(of: stripped, manifest: manifest, candidates: candidates) else { return false }
        let general = try? SendUnitSignature(der: stripped).verifySignature(manifest: manifest, cms: stripped, certificates: certificates)
        #expect(general?.signer == plain, "the plain path accepted \(stripped.count) bytes that CMS_verify refuses or reads as another signer",
                sourceLocation: sourceLocation)
        return true
    }

    @Test func thePlatformsOwnSignaturesTakeThePlainPath() throws {
        for _ in 0 ..< 5 {
            let signature = try SendUnitSignature.sign(manifest: manifest, key: office.key, certificate: office.certificate, chain: office.chain)
            let (stripped, certificates, candidates) = try parts(signature)
            #expect(agree(stripped, manifest: manifest, certificates, candidates))
            // Another manifest is not what was signed.
            var other = manifest
            other[other.count - 2] ^= 1
            #expect(PlainSignedData.signer(of: stripped, manifest: other, candidates: candidates) == nil)
            // Nor does the signature name a certificate that is not given.
            #expect(PlainSignedData.signer(of: stripped, manifest: manifest, candidates: candidates.filter { $0.certificate != office.certificate }) == nil)
        }
    }

    @Test func theOpenSSLCommandLinesSignaturesAgree() throws {
        let openssl = try OpenSSLCommand()
        try platform.write(to: openssl)
        try openssl.write("office.pem", office.certificate.pem)
        try openssl.write("office.key", office.key.pem())
        try openssl.write("manifest", manifest)
        // Its default adds S/MIME capabilities (declined: CMS_verify decides); without them it is the plain form.
        var plain: [Bool] = []
        for options in [[], ["-nosmimecap"], ["-nosmimecap", "-md", "sha384"], ["-nosmimecap", "-keyid"], ["-noattr"], ["-nosmimecap", "-md", "sha1"]] {
            let result = try openssl.run(["cms", "-sign", "-binary", "-in", "manifest", "-signer", "office.pem", "-inkey", "office.key",
                                          "-certfile", "intermediate.pem", "-outform", "DER", "-out", "sig.der"] + options)
            try #require(result.succeeded, "\(options): \(result.error)")
            let (stripped, certificates, candidates) = try parts(try SendUnitSignature(der: openssl.read("sig.der")))
            plain.append(agree(stripped, manifest: manifest, certificates, candidates))
        }
        #expect(plain == [false, true, false, false, false, false])
    }

    @Test func damagedSignaturesAreNeverAcceptedWhereCMSVerifyRefusesThem() throws {
        let signature = try SendUnitSignature.sign(manifest: manifest, key: office.key, certificate: office.certificate, chain: office.chain)
        let (stripped, certificates, candidates) = try parts(signature)
        var random = SystemRandomNumberGenerator()
        var accepted = 0
        for round in 0 ..< 3_000 {
            var bytes = stripped
            let at = Int.random(in: 0 ..< bytes.count, using: &random)
            switch round % 5 {
            case 0: bytes[at] ^= UInt8.random(in: 1 ... 255, using: &random)  // a byte changed
            case 1: bytes[at] = [0x00, 0x30, 0x31, 0x80, 0x81, 0xA0, 0x04][round / 5 % 7]  // a likely tag or length
            case 2: bytes.removeSubrange(at ..< min(bytes.count, at + Int.random(in: 1 ... 4, using: &random)))  // bytes cut out
            case 3: bytes.insert(UInt8.random(in: 0 ... 255, using: &random), at: at)  // a byte added
            default: bytes.swapAt(at, Int.random(in: 0 ..< bytes.count, using: &random))  // two bytes swapped
            }
            if agree(bytes, manifest: manifest, certificates, candidates) { accepted += 1 }
        }
        // A changed byte the signature does not cover (the signing time's digits, say) may still verify; most do not.
        #expect(accepted < 300, "\(accepted) damaged signatures accepted")
    }

    @Test func onlyStrictDERLengthsAreRead() {
        func reads(_ bytes: [UInt8]) -> Bool {
            var reader = DERReader(bytes)
            return reader.element(bytes[0]) != nil && reader.isAtEnd
        }
        #expect(reads([0x04, 0x02, 0xAA, 0xBB]))
        #expect(reads([0x04, 0x81, 0x80] + Array(repeating: 0, count: 0x80)))
        #expect(!reads([0x04, 0x81, 0x02, 0xAA, 0xBB]))  // a length under 128 in long form (BER)
        #expect(!reads([0x04, 0x82, 0x00, 0x80] + Array(repeating: 0, count: 0x80)))  // a leading zero
        #expect(!reads([0x30, 0x80, 0x04, 0x00, 0x00, 0x00]))  // indefinite length
        #expect(!reads([0x04, 0x03, 0xAA, 0xBB]))  // longer than what is there
        #expect(!reads([0x1F, 0x21, 0x00]))  // a multi-byte tag
    }
}
