import CarePlanStandard
import Foundation
import Hummingbird
import HummingbirdTesting
import RenkeiClient
import RenkeiCrypto
@testable import RenkeiUI
import Testing

/// The page handlers in process (Hummingbird's router test framework), without a platform: the pages that need
/// none are rendered, and the one that does says in Japanese that the platform cannot be reached.
@Suite struct PageHandlerTests {
    static let token = "0123456789abcdef"

    /// The screens of office 1310000001, with a client whose platform is not running (port 9 on loopback).
    static func screens() async throws -> OfficeWebApp {
        let ca = try PlatformCA.generate(name: "Renkei UI Test", now: Date() - 86_400)
        let key = try PrivateKey.generate()
        let identity = try OfficeIdentity(officeNumber: "1310000001", role: .office)
        let certificate = try ca.issueCertificate(for: try CertificateSigningRequest(key: key, identity: identity), identity: identity,
                                                  notBefore: Date() - 60, notAfter: Date() + 86_400)
        let client = try RenkeiClient(host: "127.0.0.1", port: 9, credential: try Credential(key: key, certificate: certificate, chain: [ca.intermediate]),
                                      platformCAPEM: ca.root.pem + ca.intermediate.pem, timeout: .seconds(5))
        return try await OfficeWebApp(client: client, office: "1310000001", inboxFolder: FileManager.default.temporaryDirectory, token: token)
    }

    static func text(_ response: TestResponse) -> String { String(buffer: response.body) }

    @Test func everyPathNeedsTheSessionToken() async throws {
        let app = Application(router: try await Self.screens().router())
        try await app.test(.router) { client in
            for path in ["/", "/inbox", "/\(Self.token)x/inbox", "/static/style.css", "/\(Self.token.dropLast())/new"] {
                let response = try await client.execute(uri: path, method: .get)
                #expect(response.status == .forbidden && Self.text(response).contains("セッショントークン"), "\(path)")
            }
            let root = try await client.execute(uri: "/\(Self.token)", method: .get)
            #expect(root.status == .seeOther && root.headers[.location] == "/\(Self.token)/inbox")
        }
    }

    @Test func assetsAreServedLocallyAndNothingElse() async throws {
        let app = Application(router: try await Self.screens().router())
        try await app.test(.router) { client in
            for (file, type) in [("style.css", "text/css"), ("print.css", "text/css"), ("app.js", "text/javascript")] {
                let response = try await client.execute(uri: "/\(Self.token)/static/\(file)", method: .get)
                #expect(response.status == .ok && response.headers[.contentType]?.hasPrefix(type) == true, "\(file)")
            }
            for file in ["..%2FPrintForms.swift", "new.mustache", "missing.js"] {
                #expect(try await client.execute(uri: "/\(Self.token)/static/\(file)", method: .get).status == .notFound, "\(file)")
            }
        }
    }

    @Test func newTakesFilesInChecksThemAndPrintsThem() async throws {
        let app = Application(router: try await Self.screens().router())
        try await app.test(.router) { client in
            let empty = try await client.execute(uri: "/\(Self.token)/new", method: .get)
            #expect(empty.status == .ok && Self.text(empty).contains("まだファイルがありません"))
            #expect(Self.text(empty).contains("lang=\"ja\"") && !Self.text(empty).contains("http://") && !Self.text(empty).contains("https://"),
                    "no asset from outside")

            let notes = try await client.execute(uri: "/\(Self.token)/new/files/notes.txt", method: .put, body: ByteBuffer(string: "memo"))
            #expect(notes.status == .unprocessableContent && Self.text(notes).contains("標準仕様のファイル名ではありません"))
            let hidden = try await client.execute(uri: "/\(Self.token)/new/files/.profile", method: .put, body: ByteBuffer(string: "x"))
            #expect(hidden.status == .unprocessableContent)

            for prefix in ["UPPLAN_", "UPSIKYU_", "UPHOSOKU_202506"] {
                let (name, bytes) = try PageModelTests.example(prefix)
                let put = try await client.execute(uri: "/\(Self.token)/new/files/\(name)", method: .put, body: ByteBuffer(bytes: bytes))
                #expect(put.status == .ok && Self.text(put).contains("\(name) を取り込みました"))
            }
            // The earlier refusals are on the next page, once.
            let page = Self.text(try await client.execute(uri: "/\(Self.token)/new", method: .get))
            #expect(page.contains("notes.txt") && page.contains("ファイル名が正しくありません"))
            #expect(page.contains("検証・署名して送信する</button>") && !page.contains(" disabled>"), "ready to send")
            #expect(!Self.text(try await client.execute(uri: "/\(Self.token)/new", method: .get)).contains("notes.txt"))

            let print = try await client.execute(uri: "/\(Self.token)/new/print", method: .get)
            let sheets = Self.text(print).components(separatedBy: "<section class=\"sheet\">").count - 1
            #expect(print.status == .ok && sheets == 4 && Self.text(print).contains("見本　花子") && Self.text(print).contains("49,000 円"))

            let cleared = try await client.execute(uri: "/\(Self.token)/new/clear", method: .post)
            #expect(cleared.status == .seeOther)
            #expect(Self.text(try await client.execute(uri: "/\(Self.token)/new", method: .get)).contains("まだファイルがありません"))
        }
    }

    @Test func aPageThatNeedsThePlatformSaysItCannotBeReached() async throws {
        let app = Application(router: try await Self.screens().router())
        try await app.test(.router) { client in
            let inbox = try await client.execute(uri: "/\(Self.token)/inbox", method: .get)
            #expect(inbox.status == .badGateway && Self.text(inbox).contains("連携基盤に接続できません") && Self.text(inbox).contains("role=\"alert\""),
                    "\(Self.text(inbox).prefix(2000))")
            let bad = try await client.execute(uri: "/\(Self.token)/inbox/not-a-number", method: .get)
            #expect(bad.status == .badRequest)
        }
    }
}
