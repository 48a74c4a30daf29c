import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import SekishoStore
import Testing

@testable import SekishoServer

/// The audit log for people: events in words in both languages, times in `server.time_zone` with the zone named
/// (issue 18, item 16); console actions say so.
@Suite struct AuditLogPageTests {
    private func signInAdmin(_ environment: TestEnvironment, _ browser: inout Browser) async throws {
        try await browser.get("/login")
        let response = try await browser.post("/login", [("username", "root"), ("password", "correct horse battery")])
        guard response.headers[.location] == "/" else { throw BrowserError("sign-in of root failed") }
    }

    /// The audit log in words and in the operator's time zone, with the zone named; the raw kind stays in the
    /// filter values and a data attribute (issue 18, item 16).
    @Test(arguments: [("en", "User created", "Signed in"), ("ja", "ユーザーを作成", "サインイン")])
    func auditLogShowsEventsInWordsAndTimesInTheOperatorsZone(language: String, created: String, signedIn: String) async throws {
        try await TestEnvironment.with(overrides: ["server.time_zone": "Asia/Tokyo"]) { environment in
            try await environment.createUser("root", twoFactor: false, role: .admin)
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                try await signInAdmin(environment, &browser)
                try await browser.get("/admin/audit?lang=\(language)")
                let page = browser.lastPage
                // TestEnvironment.start is 2027-01-15 08:00:15 UTC: 17:00:15 in Tokyo.
                #expect(page.contains("<td>2027-01-15 17:00:15</td>"), "\(page)")
                #expect(page.contains("Asia/Tokyo, UTC+09:00"), "\(page)")
                #expect(page.contains(#"<td data-kind="user_created">\#(created)</td>"#), "\(page)")
                #expect(page.contains(#"<td data-kind="sign_in">\#(signedIn)</td>"#), "\(page)")
                #expect(page.contains(#"<option value="user_created">\#(created)</option>"#), "\(page)")
                for raw in ["user_created", "sign_in", "password_accepted"] {
                    #expect(!page.contains(">\(raw)<"), "\(raw) shown raw")
                }
                #expect(!page.contains("T08:00:15"))
            }
        }
    }

    @Test func everyAuditKindHasWordsInBothLanguages() throws {
        let localizer = try Localizer(directory: repositoryRoot() + "/Public/locales")
        for kind in AuditKind.allCases {
            for language in Language.allCases {
                #expect(localizer.keys(of: language).contains("audit.kind.\(kind.rawValue)"), "\(kind.rawValue) in \(language)")
            }
        }
    }

    @Test func anUnknownTimeZoneStopsStartUpNamingTheKey() async throws {
        let error = await #expect(throws: ConfigurationError.self) {
            try await ConfigurationLoader(filePath: nil, environment: [:], overrides: ["server.time_zone": "Mars/Olympus"]).load()
        }
        #expect(error?.key == "server.time_zone")
        let configuration = try await ConfigurationLoader(filePath: nil, environment: [:], overrides: ["server.time_zone": "Asia/Tokyo"]).load()
        #expect(configuration.server.timeZone.identifier == "Asia/Tokyo")
    }

    @Test func consoleActionsSayConsoleInTheByColumn() async throws {
        try await TestEnvironment.with { environment in
            try await environment.createUser("root", twoFactor: false, role: .admin)
            let console = try await Console(environment.dependencies, logger: Logger(label: "test"))
            _ = try await console.add(
                username: "carol",
                displayName: "Carol",
                email: "carol@example.com",
                admin: false,
                password: "correct horse battery",
                twoFactor: false
            )
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                try await signInAdmin(environment, &browser)
                try await browser.get("/admin/audit?kind=user_created")
                #expect(browser.lastPage.contains("<td>carol</td><td>console</td><td>console</td>"), "\(browser.lastPage)")
            }
        }
    }
}
