import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SekishoServer
import Testing

@Suite struct MetricsTests {
    /// The value of one series in Prometheus text, e.g. `sekisho_codes_total{result="ok"}`.
    private func value(_ series: String, in text: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    @Test func countersMoveWithASignIn() async throws {
        let environment = try await TestEnvironment()
        defer { environment.remove() }
        try await environment.createUser()
        try await environment.application().test(.live) { client in
            var browser = Browser(client)
            let key = try await environment.signInAndEnroll(&browser)
            try await browser.get("/")
            try await browser.post("/logout", [])
            try await browser.post("/login", [("username", "alice"), ("password", "wrong")])
            try await environment.signInToCodePage(&browser)
            try await browser.post("/login/verify", [("code", try environment.code(for: key))])
            try await browser.post("/login/verify", [("code", try environment.code(for: key, stepOffset: 1))])

            let metrics = try await client.executeRequest(uri: "/metrics", method: .get, headers: [:], body: nil)
            #expect(metrics.status == .ok)
            #expect(metrics.headers[.contentType]?.hasPrefix("text/plain") == true)
            let text = metrics.text
            #expect(value(#"sekisho_sign_ins_total{result="ok"}"#, in: text) == 2)
            #expect(value(#"sekisho_sign_ins_total{result="failed"}"#, in: text) == 1)
            #expect(value(#"sekisho_codes_total{result="ok"}"#, in: text) == 2)
            #expect(value(#"sekisho_codes_total{result="replayed"}"#, in: text) == 1)
            #expect(value("sekisho_mails_waiting", in: text) == 0)
            #expect(text.contains(#"sekisho_http_request_duration_seconds_count{route="/login/verify"}"#))
        }
    }

    @Test func metricsAreLimitedToTheAllowedAddresses() async throws {
        let environment = try await TestEnvironment(overrides: ["metrics.allowed": "10.0.0.0/8"])
        defer { environment.remove() }
        try await environment.application().test(.live) { client in
            let response = try await client.executeRequest(uri: "/metrics", method: .get, headers: [:], body: nil)
            #expect(response.status == .forbidden)
        }
    }
}
