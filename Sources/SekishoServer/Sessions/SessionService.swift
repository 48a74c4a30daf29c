import Foundation
import Hummingbird
import Prometheus
import SekishoCore
import SekishoStore

/// Server-side sessions: the cookie holds a random token, the database its SHA-256.
///
/// Every change of privilege (password accepted, code accepted, logout) issues a new token,
/// so a token seen before sign-in is worthless after it (session fixation).
struct SessionService: Sendable {
    static let cookieName = "sekisho_session"
    /// Writing `last_seen_at` on every request would cost a commit per request; a minute of
    /// imprecision in the idle timeout costs nothing.
    static let touchInterval: TimeInterval = 60

    let store: any Store
    let clock: any WallClock
    let settings: SekishoConfiguration.SessionSettings
    let secureCookies: Bool
    let metrics: SekishoMetrics
    /// Forward auth's memory of signed-in sessions; nil when `forward_auth.cache_ttl` is 0.
    let cache: SessionCache?

    /// The valid session named by the cookie value, if any. Expired sessions are removed.
    func load(token: String?) async throws -> ActiveSession? {
        guard let token, OpaqueToken.isWellFormed(token) else { return nil }
        return try await load(idHash: OpaqueToken.hash(token))
    }

    /// The fully signed-in session named by the cookie value, if any, remembered for a moment
    /// (see ``SessionCache``): forward auth asks this for every request to a protected app.
    func loadSignedIn(token: String?) async throws -> ActiveSession? {
        guard let cache else { return try await load(token: token).flatMap { $0.isSignedIn ? $0 : nil } }
        guard let token, OpaqueToken.isWellFormed(token) else { return nil }
        let idHash = OpaqueToken.hash(token)
        let now = clock.now()
        if let session = cache.entry(for: idHash, at: now), isValid(session.record, at: now) {
            return session
        }
        let generation = cache.generation
        guard let session = try await load(idHash: idHash), session.isSignedIn else { return nil }
        cache.store(session, for: idHash, ifGeneration: generation, at: now)
        return session
    }

    private func load(idHash: String) async throws -> ActiveSession? {
        guard let (record, user) = try await store.sessionWithUser(idHash: idHash) else { return nil }
        let now = clock.now()
        guard isValid(record, at: now) else {
            try await store.deleteSession(idHash: idHash, at: now, effects: .none)
            return nil
        }
        if record.state == .signedIn, now.timeIntervalSince(record.lastSeenAt) > Self.touchInterval {
            try await store.touchSession(idHash: idHash, at: now)
        }
        return ActiveSession(record: record, user: user)
    }

    func isValid(_ record: SessionRecord, at now: Date) -> Bool {
        switch record.state {
        case .awaitingSecondFactor:
            return now < record.expiresAt
        case .signedIn:
            return now < record.expiresAt && now.timeIntervalSince(record.lastSeenAt) < settings.idleTimeout
        }
    }

    /// A session ready to be written (by ``start(_:for:replacing:clientAddress:effects:)`` or
    /// together with the change that grants it) and the cookie that will name it.
    struct Prepared: Sendable {
        let record: SessionRecord
        let cookie: Cookie
    }

    /// Starts a session in `state` for `user`, ending `previous` in the same transaction.
    /// Returns the cookie to set.
    func start(
        _ state: SessionRecord.State,
        for user: User,
        by methods: [String],
        replacing previous: ActiveSession?,
        clientAddress: String,
        userAgent: String,
        effects: SideEffects = .none
    ) async throws -> Cookie {
        let prepared = prepare(state, for: user, by: methods, replacing: previous, clientAddress: clientAddress, userAgent: userAgent)
        try await store.createSession(prepared.record, replacing: previous?.record.idHash, effects: effects)
        if state == .signedIn { metrics.signInsOK.increment() }
        return prepared.cookie
    }

    /// A new session's record and cookie, not yet stored. `methods`: how the user proved who they
    /// are (``SignInMethods``). `userAgent` nil: the one the half-way session `previous` began with
    /// (the code step continues the password step's browser).
    func prepare(
        _ state: SessionRecord.State,
        for user: User,
        by methods: [String],
        replacing previous: ActiveSession?,
        clientAddress: String,
        userAgent: String? = nil
    ) -> Prepared {
        let now = clock.now()
        let token = OpaqueToken.generate()
        // The password was proven when the half-way session began; keep that moment. A signed-in
        // session replaced by a new sign-in (the OpenID provider's prompt=login, max_age) starts
        // its time anew: the password was proven now.
        let continuing = previous?.record.userID == user.id && previous?.isAwaitingSecondFactor == true
        let authenticatedAt = continuing ? previous?.record.authenticatedAt ?? now : now
        let expiresAt =
            switch state {
            case .awaitingSecondFactor: now.addingTimeInterval(settings.pendingTimeout)
            case .signedIn: authenticatedAt.addingTimeInterval(settings.absoluteTimeout)
            }
        let record = SessionRecord(
            idHash: token.hash,
            userID: user.id,
            state: state,
            createdAt: now,
            lastSeenAt: now,
            expiresAt: expiresAt,
            authenticatedAt: authenticatedAt,
            clientAddress: clientAddress,
            userAgent: userAgent ?? (continuing ? previous?.record.userAgent : nil) ?? "",
            methods: methods
        )
        return Prepared(record: record, cookie: cookie(value: token.value))
    }

    /// Ends the session; returns the cookie that clears it in the browser.
    func end(_ session: ActiveSession, effects: SideEffects = .none) async throws -> Cookie {
        try await store.deleteSession(idHash: session.record.idHash, at: clock.now(), effects: effects)
        return cookie(value: "", maxAge: 0)
    }

    func cookie(value: String, maxAge: Int? = nil) -> Cookie {
        Cookie(
            name: Self.cookieName,
            value: value,
            maxAge: maxAge,
            domain: settings.cookieDomain,
            path: "/",
            secure: secureCookies,
            httpOnly: true,
            sameSite: .lax
        )
    }
}
