import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import SNTPClient
import SekishoStore
import Testing

@testable import SekishoServer

/// What administrators and users read: words instead of identifiers, the right field named, honest mail notices
/// (issue 18, items 13 and 14).
@Suite struct AdminWordingTests {
    private func signInAdmin(_ environment: TestEnvironment, _ browser: inout Browser) async throws {
        try await browser.get("/login")
        let response = try await browser.post("/login", [("username", "root"), ("password", "correct horse battery")])
        guard response.headers[.location] == "/" else { throw BrowserError("sign-in of root failed") }
    }

    @Test(arguments: [
        (ClockCheckResult.Verdict.noAnswer, "en", "No answer from any NTP server"),
        (.noAnswer, "ja", "NTPサーバーから応答がありません"),
        (.beyondLimit, "en", "Beyond the limit: authenticator codes will fail"),
        (.withinLimit, "ja", "許容範囲内"),
    ])
    func systemPageShowsTheClockVerdictInWords(verdict: ClockCheckResult.Verdict, language: String, words: String) async throws {
        let environment = try await TestEnvironment()
        defer { environment.remove() }
        try await environment.createUser("root", twoFactor: false, role: .admin)
        let offset: Double? =
            switch verdict {
            case .withinLimit: 0.5
            case .beyondLimit: 45
            case .noAnswer: nil
            }
        let best = offset.map { SNTPMeasurement(server: "ntp", offset: $0, delay: 0.01, stratum: 2, referenceID: "x", serverTime: 0) }
        let failures = best == nil ? [ClockCheckResult.Failure(server: "ntp", reason: "no reply from the NTP server before the timeout")] : []
        environment.dependencies.clockStatus.record(
            ClockCheckResult(checkedAt: TestEnvironment.start, best: best, failures: failures, maxOffset: 3)
        )
        try await environment.application().test(.router) { client in
            var browser = Browser(client)
            try await signInAdmin(environment, &browser)
            let page = try await browser.get("/admin/system?lang=\(language)")
            #expect(page.status == .ok)
            #expect(browser.lastPage.contains(words), "\(browser.lastPage)")
            for raw in ["withinLimit", "beyondLimit", "noAnswer"] {
                #expect(!browser.lastPage.contains(">\(raw)<"), "\(raw) shown raw")
            }
        }
    }
}
