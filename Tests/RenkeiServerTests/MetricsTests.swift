import Foundation
import Metrics
import Prometheus
import RenkeiClient
import RenkeiCore
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The Prometheus endpoint on its own port shows uploads, bytes, commit latency and refusals by code.
@Suite(.serialized, .timeLimit(.minutes(10))) struct MetricsTests {
    @Test func thePrometheusEndpointCountsUploadsAndRefusals() async throws {
        // What a program does once at start: swift-metrics over the default Prometheus registry, which the
        // server's endpoint serves.
        MetricsSystem.bootstrap(PrometheusMetricsFactory())
        let port = try freePort()
        let platform = try await TestPlatform(metricsPort: port)
        let plan = Traffic().plan
        let sender = try await platform.enrol(plan.sender, kind: plan.senderKind)
        _ = try await platform.enrol(plan.recipient, kind: plan.recipientKind)
        _ = try await sender.send(plan.outgoing, to: plan.recipient.rawValue)
        await expectRefusal(.unitNotFound) { try await sender.unit(999_999) }

        // The endpoint starts beside the server: ask until it answers (bounded).
        var text = ""
        let deadline = ContinuousClock.now + .seconds(10)
        while !text.contains("renkei_uploads_total"), ContinuousClock.now < deadline {
            text = (try? RawConnection(port: port)).map { connection in
                connection.send(Array("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8))
                return String(decoding: connection.readToEnd(seconds: 5), as: UTF8.self)
            } ?? ""
            if !text.contains("renkei_uploads_total") { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(text.hasPrefix("HTTP/1.1 200 OK"))
        // The registry is the process's: other tests running beside this one count too.
        func value(_ name: String) -> Double? {
            text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ")[1]) }
        }
        #expect((value("renkei_uploads_total") ?? 0) >= 1)
        #expect((value("renkei_upload_bytes_total") ?? 0) >= Double(plan.outgoing.reduce(0) { $0 + $1.bytes.count }))
        #expect(text.contains("renkei_commit_latency"))
        #expect(text.contains("renkei_group_commit_size"), "writes per durable group, from the store's writer")
        #expect(text.contains(#"renkei_refusals_total{code="1016""#))
        await sender.close()
        await platform.stop()
    }

    func freePort() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
