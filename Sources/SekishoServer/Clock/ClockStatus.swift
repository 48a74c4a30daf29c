import Metrics
import Synchronization

/// The last clock check, shared between start-up, the re-check service and `/admin/system`, and exported as metrics.
///
/// Every result goes through ``record(_:)`` so that the gauges always match ``last``:
/// `sekisho_clock_offset_seconds` (NaN while unknown) and `sekisho_clock_check_success` (1 with an answer, else 0).
public final class ClockStatus: Sendable {
    /// The gauge with the measured offset in seconds.
    public static let offsetGaugeLabel = "sekisho_clock_offset_seconds"
    /// The gauge that is 1 when the last check got an answer and 0 when it did not.
    public static let successGaugeLabel = "sekisho_clock_check_success"

    private let state = Mutex<ClockCheckResult?>(nil)
    private let metricsFactory: (any MetricsFactory)?

    /// Creates an empty status.
    ///
    /// - Parameter metricsFactory: Where the gauges go; `nil` uses the global `MetricsSystem` as bootstrapped when
    ///   each result is recorded (so bootstrapping after this init still works).
    public init(metricsFactory: (any MetricsFactory)? = nil) {
        self.metricsFactory = metricsFactory
    }

    /// The most recent result, or `nil` before the first check (or when checks are off).
    public var last: ClockCheckResult? {
        self.state.withLock { $0 }
    }

    /// Stores `result`, updates the gauges, and returns the result it replaced.
    @discardableResult
    public func record(_ result: ClockCheckResult) -> ClockCheckResult? {
        let previous = self.state.withLock { state in
            defer { state = result }
            return state
        }
        self.gauge(Self.offsetGaugeLabel).record(result.offset ?? .nan)
        self.gauge(Self.successGaugeLabel).record(result.best == nil ? 0 : 1)
        return previous
    }

    private func gauge(_ label: String) -> Gauge {
        if let factory = self.metricsFactory {
            return Gauge(label: label, factory: factory)
        }
        return Gauge(label: label)
    }
}
