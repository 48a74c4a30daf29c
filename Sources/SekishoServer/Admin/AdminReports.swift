import Foundation
import SekishoStore

/// What the admin pages and the JSON API read: users with their standing, the audit log and the
/// activity of the last day. The rules that change accounts are in ``AdminService``.
struct AdminReports: Sendable {
    let store: any Store
    let clock: any WallClock

    /// One page of users whose user ID, name or mail address contains `search`.
    func users(search: String?, limit: Int, offset: Int) async throws -> [UserSummary] {
        try await store.listUsers(search: search, limit: limit, offset: offset, at: clock.now())
    }

    /// How many users match `search` in all (for the pages' "next" link).
    func userCount(search: String?) async throws -> Int {
        try await store.countUsers(search: search)
    }

    func user(id: Int64) async throws -> User? {
        try await store.user(id: id)
    }

    /// Whether the user has an authenticator bound and has to wait after failed guesses now.
    struct Standing {
        var authenticatorBound: Bool
        var locked: Bool
    }

    func standing(of user: User) async throws -> Standing {
        let bound = try await store.hasAuthenticator(userID: user.id)
        let locked = try await store.attempt(scope: .account, key: user.username)?.lockedUntil.map { $0 > clock.now() } ?? false
        return Standing(authenticatorBound: bound, locked: locked)
    }

    /// Audit events, newest first, of the user named `username` (an unknown name matches nothing
    /// rather than everything) and of `kind`; with the user IDs of the administrators who acted.
    func auditEvents(username: String?, kind: String?, limit: Int, offset: Int) async throws -> (events: [AuditEvent], actors: [Int64: String]) {
        var userID: Int64?
        if let username {
            userID = try await store.user(username: UserName.normalize(username))?.id ?? -1
        }
        let events = try await store.auditEvents(userID: userID, kind: kind, limit: limit, offset: offset)
        var actors: [Int64: String] = [:]
        for id in Set(events.compactMap(\.actorUserID)) {
            actors[id] = try await store.user(id: id)?.username ?? "#\(id)"
        }
        return (events, actors)
    }

    /// Sign-ins, failures and lockouts per hour over the last 24 hours.
    func activity() async throws -> ActivityChart {
        try await ActivityChart.load(store: store, now: clock.now())
    }

    /// Where the data lives (a path, or a URL without its password).
    var databaseLocation: String { store.location }
}
