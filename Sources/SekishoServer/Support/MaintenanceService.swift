import Foundation
import Logging
import SekishoStore
import ServiceLifecycle

/// Hourly housekeeping: expired sessions and tokens go, audit events are kept for
/// `audit.retention_days`, delivered mails for 30 days.
struct MaintenanceService: Service {
    static let mailRetention: TimeInterval = 30 * 86_400

    let store: any Store
    let clock: any WallClock
    let auditRetention: TimeInterval
    let interval: Duration
    let logger: Logger

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await runOnce()
                try await Task.sleep(for: interval)
            }
        }
    }

    @discardableResult
    func runOnce() async -> Int {
        let now = clock.now()
        do {
            let removed = try await store.purgeExpired(
                at: now,
                auditBefore: now.addingTimeInterval(-auditRetention),
                mailBefore: now.addingTimeInterval(-Self.mailRetention)
            )
            if removed > 0 { logger.info("housekeeping removed \(removed) expired rows") }
            return removed
        } catch {
            logger.error("housekeeping failed: \(error)")
            return 0
        }
    }
}
