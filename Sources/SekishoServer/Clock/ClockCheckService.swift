import Logging
import ServiceLifecycle

/// Re-runs the clock check every `clock.interval` seconds while the server runs (issue 6, item 3).
///
/// Each result goes to the shared ``ClockStatus``; the log gets a warning only when the clock crosses the limit (or
/// answers stop) and an info line when it comes back, not the same warning every hour. The first re-check happens
/// one interval after start, since start-up has just checked. The loop ends on graceful shutdown or cancellation.
public struct ClockCheckService: Service {
    private let check: ClockCheck
    private let status: ClockStatus
    private let clock: any Clock<Duration>

    /// Creates the service.
    ///
    /// - Parameter clock: Times the interval; tests pass a manual clock so that they never wait.
    public init(check: ClockCheck, status: ClockStatus, clock: any Clock<Duration> = ContinuousClock()) {
        self.check = check
        self.status = status
        self.clock = clock
    }

    public func run() async throws {
        let interval = Duration.seconds(self.check.settings.interval)
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await self.clock.sleep(for: interval)
                } catch {
                    return  // cancelled: shutting down
                }
                let result = await self.check.measure()
                // A query cut short by shutdown reads as "no answer"; that is not news about the clock.
                guard !Task.isCancelled else { return }
                self.record(result)
            }
        }
    }

    /// One re-check: measures, records in the status and logs any change; what each loop iteration does.
    @discardableResult
    public func runOnce() async -> ClockCheckResult {
        let result = await self.check.measure()
        self.record(result)
        return result
    }

    private func record(_ result: ClockCheckResult) {
        let previous = self.status.record(result)
        self.check.log(result, previous: previous)
    }
}
