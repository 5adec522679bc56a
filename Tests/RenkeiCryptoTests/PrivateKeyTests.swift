import Foundation
import RenkeiCrypto
import Testing

@Suite struct PrivateKeyTests {
    @Test func generatedKeyIsP256AndRoundTripsThroughPEMAndDER() throws {
        let key = try PrivateKey.generate()
        #expect(key.kind == .ecP256)
        let pem = try key.pem()
        #expect(pem.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        let fromPEM = try PrivateKey(pem: pem)
        let fromDER = try PrivateKey(der: try key.der())
        #expect(try fromPEM.publicKeyDER() == key.publicKeyDER())
        #expect(try fromDER.publicKeyDER() == key.publicKeyDER())
        #expect(try PrivateKey.generate().publicKeyDER() != key.publicKeyDER())
    }

    @Test func encryptedPKCS8OpensOnlyWithItsPassword() throws {
        let key = try PrivateKey.generate()
        let pem = try key.pem(password: "事業所の合言葉")
        #expect(pem.hasPrefix("-----BEGIN ENCRYPTED PRIVATE KEY-----"))
        #expect(try PrivateKey(pem: pem, password: "事業所の合言葉").publicKeyDER() == key.publicKeyDER())
        expectError(.wrongPassword) { try PrivateKey(pem: pem, password: "wrong") }
        expectError(.wrongPassword) { try PrivateKey(pem: pem) }
    }

    @Test func rsaKeysNeedAtLeast2048Bits() throws {
        expectError(.unsupportedKey) { try PrivateKey.generate(.rsa(bits: 1024)) }
        let key = try PrivateKey.generate(.rsa(bits: 2048))
        #expect(key.kind == .rsa(bits: 2048))
        #expect(try PrivateKey(pem: key.pem()).kind == .rsa(bits: 2048))
    }

    @Test func badInputGetsItsOwnError() throws {
        expectError(.malformedPEM) { try PrivateKey(pem: "hello") }
        expectError(.malformedPEM) { try PrivateKey(pem: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n") }
        expectError(.malformedDER) { try PrivateKey(der: [0x30, 0x03, 0x02, 0x01, 0x00]) }
        expectError(.inputTooLarge) { try PrivateKey(der: [UInt8](repeating: 0x30, count: 70_000)) }
        let huge = "-----BEGIN PRIVATE KEY-----\n" + String(repeating: "A", count: 300_000)
        expectError(.inputTooLarge) { try PrivateKey(pem: huge) }
    }

    @Test func everyWrongPasswordIsReportedAsSuchNotAsAMalformedKey() throws {
        // With CBC, about one wrong password in 256 decrypts to valid padding and garbage ASN.1; the
        // user must still hear "wrong password", every time.
        let key = try PrivateKey.generate()
        let pem = try key.pem(password: "correct horse")
        let openssl = try OpenSSLCommand()
        try openssl.write("key.pem", Array(pem.utf8))
        try openssl.runChecked("pkcs8", "-topk8", "-in", "key.pem", "-passin", "pass:correct horse", "-v2", "aes-256-cbc",
                               "-passout", "pass:correct horse", "-outform", "DER", "-out", "key.p8")
        let der = try openssl.read("key.p8")
        for attempt in 0..<300 {
            expectError(.wrongPassword) { try PrivateKey(pem: pem, password: "wrong \(attempt)") }
            expectError(.wrongPassword) { try PrivateKey(der: der, password: "wrong \(attempt)") }
        }
        #expect(try PrivateKey(der: der, password: "correct horse").publicKeyDER() == key.publicKeyDER())
    }

    @Test func keysFromTheCommandLineAreReadAndOursAreReadByIt() throws {
        let openssl = try OpenSSLCommand()
        try openssl.runChecked("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                               "-aes-256-cbc", "-pass", "pass:secret", "-out", "cli.key")
        let cliKey = try PrivateKey(pem: openssl.readText("cli.key"), password: "secret")
        #expect(cliKey.kind == .ecP256)
        try openssl.runChecked("pkey", "-in", "cli.key", "-passin", "pass:secret", "-pubout", "-outform", "DER", "-out", "cli.pub")
        #expect(try cliKey.publicKeyDER() == openssl.read("cli.pub"))

        try openssl.runChecked("pkcs8", "-topk8", "-in", "cli.key", "-passin", "pass:secret", "-v2", "aes-256-cbc",
                               "-passout", "pass:der-secret", "-outform", "DER", "-out", "cli.p8")
        #expect(try PrivateKey(der: openssl.read("cli.p8"), password: "der-secret").publicKeyDER() == cliKey.publicKeyDER())
        expectError(.wrongPassword) { try PrivateKey(der: openssl.read("cli.p8"), password: "nope") }

        try openssl.runChecked("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024", "-out", "small.key")
        expectError(.unsupportedKey) { try PrivateKey(pem: openssl.readText("small.key")) }

        let ours = try PrivateKey.generate()
        try openssl.write("ours.key", ours.pem(password: "pw"))
        try openssl.write("ours.der", ours.der())
        let fromEncrypted = try openssl.runChecked("pkey", "-in", "ours.key", "-passin", "pass:pw", "-pubout")
        let fromDER = try openssl.runChecked("pkey", "-in", "ours.der", "-inform", "DER", "-pubout")
        #expect(fromEncrypted.output == (try ours.publicKeyPEM()))
        #expect(fromDER.output == (try ours.publicKeyPEM()))
        #expect(try !openssl.run("pkey", "-in", "ours.key", "-passin", "pass:nope", "-noout").succeeded)
    }

    @Test func errorsCarryOpenSSLReasonStrings() throws {
        let pem = try PrivateKey.generate().pem(password: "right")
        let error = expectError(.wrongPassword) { try PrivateKey(pem: pem, password: "wrong") }
        #expect(error?.openSSLReasons.isEmpty == false)
        #expect(error?.description.contains("OpenSSL") == true)
    }
}
