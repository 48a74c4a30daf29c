import Prometheus

/// The counters operators scrape at `/metrics`. One registry per server (not the process-wide
/// metrics system), so tests and several servers in one process stay apart.
public final class SekishoMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()

    let signInsOK: Counter
    let signInsFailed: Counter
    let codesOK: Counter
    let codesFailed: Counter
    let codesReplayed: Counter
    let lockouts: Counter
    let recoveryCodesUsed: Counter
    let mailsSent: Counter
    let mailsFailed: Counter
    let mailsWaiting: Gauge
    let abortedRequestBodies: Counter

    public init() {
        let signIns = "sekisho_sign_ins_total"
        let codes = "sekisho_codes_total"
        let mails = "sekisho_mails_total"
        signInsOK = registry.makeCounter(name: signIns, labels: [("result", "ok")], help: "Completed sign-ins.")
        signInsFailed = registry.makeCounter(name: signIns, labels: [("result", "failed")], help: "Completed sign-ins.")
        codesOK = registry.makeCounter(name: codes, labels: [("result", "ok")], help: "Authenticator and recovery codes checked.")
        codesFailed = registry.makeCounter(name: codes, labels: [("result", "failed")], help: "Authenticator and recovery codes checked.")
        codesReplayed = registry.makeCounter(name: codes, labels: [("result", "replayed")], help: "Authenticator and recovery codes checked.")
        lockouts = registry.makeCounter(name: "sekisho_lockouts_total", help: "Times an account started waiting after failures.")
        recoveryCodesUsed = registry.makeCounter(name: "sekisho_recovery_codes_used_total", help: "Recovery codes used to sign in.")
        mailsSent = registry.makeCounter(name: mails, labels: [("result", "sent")], help: "Mails the outbox delivered or gave up on.")
        mailsFailed = registry.makeCounter(name: mails, labels: [("result", "failed")], help: "Mails the outbox delivered or gave up on.")
        mailsWaiting = registry.makeGauge(name: "sekisho_mails_waiting", help: "Mails in the outbox not yet delivered.")
        abortedRequestBodies = registry.makeCounter(
            name: "sekisho_aborted_request_bodies_total",
            help: "Requests whose client stopped sending the body (logged at debug level only)."
        )
    }

    /// A request-duration histogram per route, in seconds.
    func requestDuration(route: String) -> DurationHistogram {
        registry.makeDurationHistogram(
            name: "sekisho_http_request_duration_seconds",
            labels: [("route", route)],
            buckets: [
                .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
                .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
            ],
            help: "Time to answer a request, by route."
        )
    }
}
