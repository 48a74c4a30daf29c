import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SNTPClient
import SekishoStore
import Testing

@testable import SekishoServer

/// `/admin/system` at a glance: the last 24 hours as a chart drawn on the server, the clock check and the mail queue,
/// each with a way to the details (issue 18, item 17).
@Suite struct AdminSystemPageTests {
    @Test func theLast24HoursAreAChartWithTotalsLinkingToTheAuditLog() async throws {
        try await TestEnvironment.with(overrides: ["server.time_zone": "UTC"]) { environment in
            try await environment.createUser("root", twoFactor: false, role: .admin)
            let now = environment.clock.now()
            // Three hours ago: two failed sign-ins and a failed code, one lockout; 25 hours ago: ignored.
            for (kind, hoursAgo) in [("sign_in_failed", 3.0), ("sign_in_failed", 3), ("code_failed", 3), ("lockout", 3), ("sign_in", 25)] {
                try await environment.store.appendAudit(NewAuditEvent(kind: kind), at: now.addingTimeInterval(-hoursAgo * 3600))
            }
            environment.dependencies.clockStatus.record(
                ClockCheckResult(
                    checkedAt: now,
                    best: SNTPMeasurement(server: "ntp.example", offset: 0.2, delay: 0.01, stratum: 2, referenceID: "x", serverTime: 0),
                    failures: [],
                    maxOffset: 3
                )
            )
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                try await browser.get("/login")
                try await browser.post("/login", [("username", "root"), ("password", "correct horse battery")])
                let response = try await browser.get("/admin/system")
                let page = browser.lastPage
                #expect(response.status == .ok)
                #expect(page.contains(#"<svg class="activity""#), "\(page)")
                // The admin's own sign-in just now, and nothing from 25 hours ago.
                #expect(page.contains(#"id="total-sign-ins">1<"#), "\(page)")
                #expect(page.contains(#"id="total-failures">3<"#), "\(page)")
                #expect(page.contains(#"id="total-lockouts">1<"#), "\(page)")
                #expect(Browser.allMatches(#"<rect class="bar bar-(sign-ins|failures|lockouts)""#, in: page).count == 3)
                for kind in ["sign_in", "sign_in_failed", "lockout", "mail_settings_changed"] {
                    #expect(page.contains(#"href="/admin/audit?kind=\#(kind)""#), "\(kind)")
                }
                #expect(page.contains(#"id="clock-verdict">Within the limit<"#), "\(page)")
                #expect(page.contains(#"id="mail-waiting">0<"#))
                #expect(page.contains("Delivering normally"))
                // The CSP has style-src 'self': no inline styles, and no script at all.
                let csp = try #require(response.headers[.contentSecurityPolicy])
                #expect(csp.contains("style-src 'self'") && !csp.contains("unsafe-inline"))
                #expect(!page.contains("style="))
                #expect(!page.contains("<style"))
                #expect(!page.contains("<script"))
            }
        }
    }

    @Test func hourlyCountsComeFromOneAggregationOverTheHourBuckets() async throws {
        try await TestEnvironment.with { environment in
            let now = environment.clock.now()
            try await environment.store.appendAudit(NewAuditEvent(kind: "sign_in"), at: now)
            try await environment.store.appendAudit(NewAuditEvent(kind: "code_failed"), at: now.addingTimeInterval(-3600))
            try await environment.store.appendAudit(NewAuditEvent(kind: "sign_in_failed"), at: now.addingTimeInterval(-3600))
            let chart = try await ActivityChart.load(store: environment.store, now: now)
            #expect(chart.counts[0][23] == 1)
            #expect(chart.counts[1][22] == 2)
            #expect(chart.totals == [1, 2, 0])
            #expect(chart.hourStarts.last! <= now && now < chart.hourStarts.last!.addingTimeInterval(3600))
        }
    }
}
