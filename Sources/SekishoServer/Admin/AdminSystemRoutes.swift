import Foundation
import Hummingbird
import SNTPClient
import SekishoStore

/// `/admin/system`: an at-a-glance view for administrators: sign-ins, failed attempts and lockouts per hour over the
/// last 24 hours, the last clock check and the mail queue, each linking to where the details are; then version,
/// database and where mail goes; and the switch of passwordless sign-in.
struct AdminSystemRoutes {
    let reports: AdminReports
    let outbox: OutboxStatus
    let mailSettings: MailSettingsService
    let passwordless: PasswordlessService
    let clockStatus: ClockStatus
    let renderer: PageRenderer
    let operatorTime: OperatorTime

    func register(on group: RouterGroup<AdminContext>) {
        group.get("/admin/system", use: show)
        group.post("/admin/system/passwordless", use: switchPasswordless)
    }

    func switchPasswordless(_ request: Request, context: AdminContext) async throws -> Response {
        let enabled = context.web.form["passwordless"] == "on"
        try await passwordless.setEnabled(enabled, by: context.session.user, clientAddress: context.clientAddress)
        return Redirect.response(to: "/admin/system?passwordless=saved")
    }

    func show(_ request: Request, context: AdminContext) async throws -> Response {
        let localizer = renderer.localizer
        let language = context.web.language
        let time = operatorTime
        let now = reports.clock.now()
        let queue = try await outbox.summary()
        let problems = queue.problems.prefix(10).map { mail in
            [
                "id": mail.id, "recipient": mail.recipient, "subject": mail.subject, "error": mail.lastError ?? "",
                "state": localizer.text(mail.failedAt != nil ? "admin.system_state_failed" : "admin.system_state_retrying", language),
                "attempts": mail.attempts,
            ] as [String: Any]
        }
        let chart = try await reports.activity()
        let labels = ActivityChart.series.map { localizer.text($0.labelKey, language) }
        var values: [String: Any] = [
            "version": SekishoVersion.current,
            "database": reports.databaseLocation,
            "transport": try await mailSettings.transportSummary(),
            "waiting": queue.waiting.count,
            "failed": queue.failed.count,
            "mailHealthy": queue.isHealthy,
            "problems": problems,
            "zone": time.zoneName(at: now),
            "chart": chart.svg(
                title: localizer.text("admin.system_activity", language),
                seriesLabels: labels,
                hourLabel: { String(time.text($0).dropFirst(11).prefix(5)) }
            ),
            "legend": Self.legend(chart, labels: labels),
            "passwordless": try await passwordless.isEnabled(),
        ]
        if let clock = clockStatus.last {
            values["clock"] = Self.clockValues(
                clock,
                verdict: localizer.text("admin.system_clock_\(clock.verdict.rawValue)", language),
                checkedAt: time.text(clock.checkedAt)
            )
        }
        var page = Page("admin-system", title: "admin.system_title", values: values)
        if request.uri.queryParameters["passwordless"] == "saved" { page = page.with(.success, "admin.system_passwordless_saved") }
        return renderer.render(page, web: context.web, path: "/admin/system")
    }

    /// One legend entry per series: its total over 24 hours and the audit log filtered to it.
    static func legend(_ chart: ActivityChart, labels: [String]) -> [[String: Any]] {
        zip(ActivityChart.series, zip(labels, chart.totals)).map { series, entry in
            ["name": series.name, "label": entry.0, "total": entry.1, "href": "/admin/audit?kind=\(series.kinds[0])"]
        }
    }

    /// The clock check for the page. A function of its own: Swift 6.3.1's optimiser crashed on
    /// this dictionary built inline in the async handler (SIL ownership verifier).
    ///
    /// - Parameter verdict: The verdict in the reader's language (the raw names are for code, not people).
    static func clockValues(_ clock: ClockCheckResult, verdict: String, checkedAt: String) -> [String: Any] {
        [
            "verdict": verdict,
            "ok": clock.verdict == .withinLimit,
            "offset": clock.offset.map { String(format: "%+.3f s", $0) } ?? "—",
            "server": clock.best?.server ?? clock.failures.map(\.description).joined(separator: "; "),
            "checkedAt": checkedAt,
        ]
    }
}
