import Foundation
import Hummingbird
import SekishoCore
import SekishoStore

/// "Remember this browser" (issue #16): after a complete sign-in a person may let this browser
/// skip the second factor of their account for `session.remember_browser_days`. Never the
/// password: the skip happens in the password step, after the password was right.
///
/// What keeps it safe:
/// - Off unless an administrator turns it on (`session.remember_browser`); turned off, no browser
///   skips anything, and none can be remembered.
/// - The cookie holds a random token; the database only its SHA-256, with the account it belongs
///   to: a token remembered for one account does nothing for another.
/// - Checked and used by one conditional statement that also begins the session
///   (``BrowserStore/useRememberedBrowser(tokenHash:userID:at:startingSession:effects:)``): a
///   browser forgotten a moment ago is refused.
/// - A new password, an authenticator reset, two-factor turned off or an administrator forget all
///   of the account's remembered browsers (in the store, in the change's own transaction).
struct RememberedBrowsers: Sendable {
    static let cookieName = "sekisho_remember"

    let store: any Store
    let clock: any WallClock
    let settings: SekishoConfiguration.SessionSettings
    let secureCookies: Bool

    /// Whether the code page offers the box and remembered browsers skip the code.
    var isOffered: Bool { settings.rememberBrowser }
    var days: Int { Int(settings.rememberBrowserFor / 86_400) }

    /// Remembers the browser that just completed a sign-in for `user`; returns its cookie, or nil
    /// when the feature is off.
    func remember(_ user: User, userAgent: String, clientAddress: String) async throws -> Cookie? {
        guard isOffered else { return nil }
        let token = OpaqueToken.generate()
        let now = clock.now()
        let browser = RememberedBrowser(
            tokenHash: token.hash,
            userID: user.id,
            userAgent: userAgent,
            clientAddress: clientAddress,
            createdAt: now,
            expiresAt: now.addingTimeInterval(settings.rememberBrowserFor)
        )
        try await store.rememberBrowser(browser, effects: SideEffects(audit: [event(.browserRemembered, user, clientAddress: clientAddress)]))
        return cookie(value: token.value, maxAge: Int(settings.rememberBrowserFor))
    }

    /// Begins `start` instead of asking for the code when `token` is a browser remembered for
    /// `user` and still valid; false, changing nothing, otherwise.
    func skipSecondFactor(token: String, for user: User, starting start: SessionStart, effects: SideEffects) async throws -> Bool {
        guard isOffered, OpaqueToken.isWellFormed(token) else { return false }
        return try await store.useRememberedBrowser(
            tokenHash: OpaqueToken.hash(token),
            userID: user.id,
            at: clock.now(),
            startingSession: start,
            effects: effects
        )
    }

    /// One remembered browser as the dashboard lists it.
    struct Entry: Sendable {
        let handle: String
        let agent: UserAgentSummary
        let place: String
        let rememberedAt: Date
        let expiresAt: Date
        let lastUsedAt: Date?
    }

    func list(for user: User) async throws -> [Entry] {
        try await store.rememberedBrowsers(userID: user.id, at: clock.now()).map { browser in
            Entry(
                handle: browser.handle,
                agent: UserAgentSummary(browser.userAgent),
                place: CoarseAddress(browser.clientAddress).description,
                rememberedAt: browser.createdAt,
                expiresAt: browser.expiresAt,
                lastUsedAt: browser.lastUsedAt
            )
        }
    }

    /// Forgets one of the user's remembered browsers: it asks for the code again.
    func forget(handle: String, of user: User, clientAddress: String) async throws -> Bool {
        try await store.forgetRememberedBrowser(
            userID: user.id,
            handle: handle,
            at: clock.now(),
            effects: SideEffects(audit: [event(.rememberedBrowsersForgotten, user, clientAddress: clientAddress)])
        )
    }

    private func event(_ kind: AuditKind, _ user: User, clientAddress: String) -> NewAuditEvent {
        NewAuditEvent(kind: kind.rawValue, actorUserID: user.id, subjectUserID: user.id, username: user.username, clientAddress: clientAddress)
    }

    private func cookie(value: String, maxAge: Int) -> Cookie {
        Cookie(
            name: Self.cookieName,
            value: value,
            maxAge: maxAge,
            // Host-only even with `session.cookie_domain`: only Sekisho needs it, never the apps
            // behind forward auth.
            domain: nil,
            path: "/",
            secure: secureCookies,
            httpOnly: true,
            sameSite: .lax
        )
    }
}
