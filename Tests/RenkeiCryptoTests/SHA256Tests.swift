import RenkeiCrypto
import Testing

@Suite struct SHA256Tests {
    @Test func knownAnswers() {
        #expect(SHA256.hash([UInt8]()).hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hash(Array("abc".utf8)).hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func incrementalEqualsOneShot() {
        let bytes = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var hasher = SHA256()
        hasher.update(bytes[..<3])
        hasher.update(byte: bytes[3])
        hasher.update(bytes[4...])
        #expect(hasher.finalize() == SHA256.hash(bytes))
    }

    @Test func hexRoundTripAndOrder() throws {
        let digest = SHA256.hash(Array("renkei".utf8))
        #expect(SHA256Digest(hex: digest.hex) == digest)
        #expect(SHA256Digest(hex: digest.hex.uppercased()) == digest)
        #expect(SHA256Digest(hex: "xyz") == nil)
        let other = SHA256.hash(Array("連携".utf8))
        #expect((digest < other) == digest.bytes.lexicographicallyPrecedes(other.bytes))
    }
}
