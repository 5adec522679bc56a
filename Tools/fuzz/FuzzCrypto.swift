// libFuzzer entry point: any bytes, as each X.509 and CMS input the platform accepts from outside — a
// certificate (DER, or a PEM chain: trusted issuers, profiles), a certificate request (DER or PEM: the operator's
// issuing), a CRL (DER or PEM), and a send unit's CMS signature, parsed and verified against a platform trust
// store. Nothing may crash, whatever the input; every failure must be a CryptoError.
import Foundation
import RenkeiCrypto

let platform: (trust: TrustStore, signature: [UInt8], manifest: [UInt8]) = {
    do {
        let ca = try PlatformCA.generate(name: "Renkei Fuzz", now: Date() - 86_400)
        let trust = try TrustStore(platform: ca, revocationList: nil)
        let key = try PrivateKey.generate()
        let identity = try OfficeIdentity(officeNumber: "1310000001")
        let certificate = try ca.issueCertificate(for: try CertificateSigningRequest(key: key, identity: identity), identity: identity,
                                                  notBefore: Date() - 3600, notAfter: Date() + 86_400)
        let manifest = Array("renkei-send-unit-manifest/v1\nsender 1310000001\n".utf8)
        let signature = try SendUnitSignature.sign(manifest: manifest, key: key, certificate: certificate, chain: [ca.intermediate])
        return (trust, signature.der, manifest)
    } catch {
        fatalError("the fuzz target's platform: \(error)")
    }
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCrypto(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    guard count > 0 else { return 0 }
    let selector = start[0]
    let bytes = Array(UnsafeBufferPointer(start: start + 1, count: count - 1))
    let text = String(decoding: bytes, as: UTF8.self)
    switch selector % 8 {
    case 0: _ = try? Certificate(der: bytes)
    case 1: _ = try? Certificate.chain(pem: text)
    case 2: _ = try? CertificateSigningRequest(der: bytes)
    case 3: _ = try? CertificateSigningRequest(pem: text)
    case 4: _ = try? CertificateRevocationList(der: bytes)
    case 5: _ = try? CertificateRevocationList.all(pem: text)
    case 6:
        // A signature from outside, over the known manifest.
        if let signature = try? SendUnitSignature(der: bytes) {
            _ = try? signature.verify(manifest: platform.manifest, sender: "1310000001", trustStore: platform.trust, at: Date())
        }
    default:
        // A genuine signature with bytes of the input written over part of it.
        var mutated = platform.signature
        for (index, byte) in bytes.prefix(64).enumerated() { mutated[(Int(byte) * 31 + index * 97) % mutated.count] = byte }
        if let signature = try? SendUnitSignature(der: mutated) {
            _ = try? signature.verify(manifest: platform.manifest, sender: "1310000001", trustStore: platform.trust, at: Date())
        }
    }
    return 0
}
