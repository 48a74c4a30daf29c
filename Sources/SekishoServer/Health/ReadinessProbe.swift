import Foundation
import Logging
import SekishoStore

/// Whether this instance can serve: the database answers and takes writes (`/readyz`).
struct ReadinessProbe: Sendable {
    /// The setting the probe writes; nothing reads it.
    static let probeKey = "readiness_probe"

    let store: any Store
    let clock: any WallClock

    enum Readiness: Equatable {
        case ready
        case databaseUnavailable
        case writesFail
    }

    func check(logger: Logger) async -> Readiness {
        do {
            try await store.ping()
        } catch {
            logger.error("readiness check failed: database does not answer: \(error)")
            return .databaseUnavailable
        }
        guard let failure = store.writeHealth.failure else { return .ready }
        // The latest write failed. Only a write shows whether writes work again: a balancer that
        // took this instance out of rotation sends no sign-in that could tell.
        let now = clock.now()
        do {
            try await store.setSetting(Self.probeKey, value: "\(now.timeIntervalSince1970)", at: now, effects: SideEffects())
            logger.notice("readiness: writes succeed again (the last failure was: \(failure))")
            return .ready
        } catch {
            logger.warning("readiness check failed: writes fail: \(error)")
            return .writesFail
        }
    }
}
