import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SNTPClient
import SekishoServer
import TestSupport
import Testing

@Suite struct MetricsTests {
    /// The value of one series in Prometheus text, e.g. `sekisho_codes_total{result="ok"}`.
    private func value(_ series: String, in text: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    @Test func countersMoveWithASignIn() async throws {
        try await TestEnvironment.with { environment in
            try await environment.createUser()
            try await environment.application().test(.live) { client in
                var browser = Browser(client)
                let key = try await environment.signInAndEnroll(&browser)
                try await browser.get("/")
                try await browser.signOut()
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
                // The notice that an authenticator was added waits for the outbox worker (not running here).
                #expect(value("sekisho_mails_waiting", in: text) == 1)
                #expect(text.contains(#"sekisho_http_request_duration_seconds_count{route="/login/verify"}"#))
            }
        }
    }

    /// Every series on `/metrics`, the clock gauges included, passes Prometheus's own linter (issue 18, item 12).
    @Test func promtoolAcceptsTheLiveOutput() async throws {
        try await TestEnvironment.with { environment in
            try await environment.createUser()
            let measurement = SNTPMeasurement(server: "ntp", offset: 0.25, delay: 0.01, stratum: 2, referenceID: "x", serverTime: 0)
            environment.dependencies.clockStatus.record(
                ClockCheckResult(checkedAt: TestEnvironment.start, best: measurement, failures: [], maxOffset: 3)
            )
            try await environment.application().test(.live) { client in
                var browser = Browser(client)
                _ = try await environment.signInAndEnroll(&browser)
                try await browser.signOut()
                try await browser.post("/login", [("username", "alice"), ("password", "wrong")])

                let text = try await client.executeRequest(uri: "/metrics", method: .get, headers: [:], body: nil).text
                for name in [ClockStatus.offsetGaugeLabel, ClockStatus.successGaugeLabel] {
                    #expect(text.contains("# HELP \(name) "), "\(text)")
                    #expect(text.contains("# TYPE \(name) gauge"), "\(text)")
                }
                #expect(value(ClockStatus.offsetGaugeLabel, in: text) == 0.25)
                let promtool = try Promtool.checkMetrics(text)
                #expect(promtool.status == 0, "promtool check metrics:\n\(promtool.output)\n\(text)")
                #expect(promtool.output.isEmpty, "promtool check metrics:\n\(promtool.output)")
            }
        }
    }

    @Test func metricsAreLimitedToTheAllowedAddresses() async throws {
        try await TestEnvironment.with(overrides: ["metrics.allowed": "10.0.0.0/8"]) { environment in
            try await environment.application().test(.live) { client in
                let response = try await client.executeRequest(uri: "/metrics", method: .get, headers: [:], body: nil)
                #expect(response.status == .forbidden)
            }
        }
    }
}

/// `promtool check metrics` (Debian's `prometheus` package) on a scrape.
enum Promtool {
    static let path = "/usr/bin/promtool"

    /// Feeds `text` to `promtool check metrics` and returns its exit status and everything it printed.
    static func checkMetrics(_ text: String) throws -> (status: Int32, output: String) {
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw BrowserError("\(path) is missing: run scripts/install-deps.sh test (Debian package prometheus)")
        }
        let result = try Command(path, ["check", "metrics"], input: text).runBlocking()
        return (result.status, result.output + result.error)
    }
}
