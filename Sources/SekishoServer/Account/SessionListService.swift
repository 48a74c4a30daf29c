import Foundation
import SekishoCore
import SekishoStore

/// Where a person is signed in (issue #16): their sessions for the dashboard, ending one or all
/// others. (An administrator ends all of a user's sessions through ``AdminService``.)
///
/// Ending a session deletes its row, so the next request with its cookie finds nothing. Forward
/// auth's cache on this instance is emptied by ``SessionCacheInvalidation`` after the POST that
/// ended it; other instances drop it within `forward_auth.cache_ttl`.
struct SessionListService: Sendable {
    let store: any Store
    let sessions: SessionService

    /// One signed-in session as the list shows it.
    struct Entry: Sendable {
        let handle: String
        let agent: UserAgentSummary
        /// The client address cut to its network (``CoarseAddress``).
        let place: String
        let signedInAt: Date
        let lastSeenAt: Date
        /// The session of the browser looking at the list.
        let isCurrent: Bool
    }

    /// The user's valid signed-in sessions, this one first, then the most recently seen.
    func list(for current: ActiveSession) async throws -> [Entry] {
        let now = sessions.clock.now()
        let records = try await store.signedInSessions(userID: current.user.id).filter { sessions.isValid($0, at: now) }
        return records.map { record in
            Entry(
                handle: record.handle,
                agent: UserAgentSummary(record.userAgent),
                place: CoarseAddress(record.clientAddress).description,
                signedInAt: record.createdAt,
                lastSeenAt: record.lastSeenAt,
                isCurrent: record.idHash == current.record.idHash
            )
        }.sorted { $0.isCurrent && !$1.isCurrent }
    }

    /// Ends another session of the same user; false when `handle` names none of theirs, or names
    /// this one (which ends by signing out).
    func end(handle: String, from current: ActiveSession, clientAddress: String) async throws -> Bool {
        guard handle != current.record.handle else { return false }
        let effects = SideEffects(audit: [event(.sessionEnded, current.user, actor: current.user, clientAddress: clientAddress)])
        return try await store.endSession(userID: current.user.id, handle: handle, at: sessions.clock.now(), effects: effects)
    }

    /// Ends every session of the user but this one; returns how many ended.
    func endOthers(from current: ActiveSession, clientAddress: String) async throws -> Int {
        let effects = SideEffects(audit: [event(.otherSessionsEnded, current.user, actor: current.user, clientAddress: clientAddress)])
        return try await store.endSessions(userID: current.user.id, keeping: current.record.idHash, at: sessions.clock.now(), effects: effects)
    }

    private func event(_ kind: AuditKind, _ user: User, actor: User, clientAddress: String) -> NewAuditEvent {
        NewAuditEvent(kind: kind.rawValue, actorUserID: actor.id, subjectUserID: user.id, username: user.username, clientAddress: clientAddress)
    }
}
