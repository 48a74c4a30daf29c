import Foundation
import SekishoStore
import Synchronization

/// Forward auth's short memory of signed-in sessions: a protected app's burst of requests (a page,
/// its scripts and images, its API calls) costs one database read per session per `ttl` instead of
/// one per request.
///
/// What keeps it correct:
/// - An answer is reused for at most `ttl` seconds, and the record's own expiry and idle limits
///   are checked again on every use.
/// - Every change made through this process arrives as a request other than GET or HEAD;
///   ``SessionCacheInvalidation`` calls ``invalidate()`` after each, so a logout, a password change
///   or an administrator's edit applies here at once. A look-up that began before such a change
///   never stores its answer after it (the generation check in ``store(_:for:ifGeneration:)``).
/// - Changes made elsewhere (another instance, the console) apply here within `ttl`.
final class SessionCache: Sendable {
    struct Entry: Sendable {
        let session: ActiveSession
        let storedAt: Date
    }

    private struct State {
        var generation: UInt64 = 0
        var entries: [String: Entry] = [:]
    }

    let ttl: TimeInterval
    /// Beyond this many sessions the cache starts over: a bound on memory, not a working set.
    let capacity: Int
    private let state = Mutex(State())

    init(ttl: TimeInterval, capacity: Int = 10_000) {
        self.ttl = ttl
        self.capacity = capacity
    }

    /// Read before a database look-up and handed back to ``store(_:for:ifGeneration:)``.
    var generation: UInt64 { state.withLock { $0.generation } }

    /// The session stored for `idHash` if it is younger than `ttl` at `now`.
    func entry(for idHash: String, at now: Date) -> ActiveSession? {
        state.withLock { state in
            guard let entry = state.entries[idHash] else { return nil }
            let age = now.timeIntervalSince(entry.storedAt)
            guard age >= 0, age < ttl else {
                state.entries[idHash] = nil
                return nil
            }
            return entry.session
        }
    }

    /// Stores a look-up's answer unless something changed since it began.
    func store(_ session: ActiveSession, for idHash: String, ifGeneration generation: UInt64, at now: Date) {
        state.withLock { state in
            guard state.generation == generation else { return }
            if state.entries.count >= capacity { state.entries.removeAll(keepingCapacity: true) }
            state.entries[idHash] = Entry(session: session, storedAt: now)
        }
    }

    /// Forgets everything; called after every request that may have changed something.
    func invalidate() {
        state.withLock { state in
            state.generation &+= 1
            state.entries.removeAll(keepingCapacity: true)
        }
    }
}
