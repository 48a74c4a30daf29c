import Foundation
import Hummingbird
import SekishoCore
import SekishoStore

/// Tells a browser an account has signed in from before from a new one (issue #16), so that a
/// sign-in from somewhere new reaches the account's owner by mail.
///
/// Each browser gets a long-lived random identifier in a cookie; the database keeps only its
/// SHA-256 per account. The identifier grants nothing: it only decides whether a mail is sent, so
/// a stolen or made-up one at most suppresses a notice for that browser.
struct KnownBrowsers: Sendable {
    static let cookieName = "sekisho_browser"
    /// Browsers keep a cookie 400 days at most (RFC 6265bis); every sign-in sets it again.
    static let cookieLifetime = 400 * 86_400

    let store: any Store
    let clock: any WallClock
    let notices: NoticeMails
    /// Where the mail sends the reader: the sessions list on the dashboard.
    let sessionsLink: String
    let secureCookies: Bool

    /// After a complete sign-in by `user` from the browser that sent `identifier` (nil, or not one
    /// of ours: a new browser): records the browser for the account and, the first time, queues
    /// the new-browser mail in the same transaction (not for the account's first browser ever).
    /// Returns the identifier cookie to set.
    func signedIn(_ user: User, request: Request, clientAddress: String) async throws -> Cookie {
        try await signedIn(
            user,
            identifier: request.cookies[Self.cookieName]?.value,
            userAgent: request.headers[.userAgent] ?? "",
            clientAddress: clientAddress
        )
    }

    /// The same, with the identifier and the `User-Agent` given apart from a request.
    func signedIn(_ user: User, identifier: String?, userAgent: String, clientAddress: String) async throws -> Cookie {
        let value = identifier.flatMap { OpaqueToken.isWellFormed($0) ? $0 : nil } ?? OpaqueToken.generate().value
        let agent = UserAgentSummary(userAgent)
        let place = CoarseAddress(clientAddress).description
        let mail = notices.mail(
            .newBrowser,
            to: user,
            values: ["browser": agent.browser ?? "—", "system": agent.system ?? "—", "place": place, "link": sessionsLink]
        )
        let event = NewAuditEvent(
            kind: AuditKind.newBrowser.rawValue,
            subjectUserID: user.id,
            username: user.username,
            clientAddress: clientAddress,
            detail: "\(agent.browser ?? "?") / \(agent.system ?? "?")"
        )
        _ = try await store.recordKnownBrowser(
            userID: user.id,
            browserHash: OpaqueToken.hash(value),
            at: clock.now(),
            effectsIfNew: SideEffects(mails: [mail], audit: [event])
        )
        return Cookie(
            name: Self.cookieName,
            value: value,
            maxAge: Self.cookieLifetime,
            // Host-only even with `session.cookie_domain`: the apps behind forward auth need not see it.
            domain: nil,
            path: "/",
            secure: secureCookies,
            httpOnly: true,
            sameSite: .lax
        )
    }
}
