import Metrics
import Prometheus
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
    /// The `# HELP` texts; `promtool check metrics` wants one for every metric.
    static let offsetHelp = "Offset of the server clock from the best NTP answer of the last check, in seconds (NaN when unknown)."
    static let successHelp = "1 when an NTP server answered the last clock check, 0 when none did."

    private let state = Mutex<ClockCheckResult?>(nil)
    private let gauges: Gauges

    /// Where the two values go.
    private enum Gauges: Sendable {
        /// Through swift-metrics (the given factory, or the global `MetricsSystem` when `nil`).
        case factory((any MetricsFactory)?)
        /// Straight into a Prometheus registry, with help texts (swift-metrics has no place for them).
        case prometheus(offset: Prometheus.Gauge, success: Prometheus.Gauge)
    }

    /// Creates an empty status.
    ///
    /// - Parameter metricsFactory: Where the gauges go; `nil` uses the global `MetricsSystem` as bootstrapped when
    ///   each result is recorded (so bootstrapping after this init still works).
    public init(metricsFactory: (any MetricsFactory)? = nil) {
        self.gauges = .factory(metricsFactory)
    }

    /// Creates an empty status whose gauges live in `registry`, with `# HELP` lines (what `/metrics` shows).
    public init(registry: PrometheusCollectorRegistry) {
        self.gauges = .prometheus(
            offset: registry.makeGauge(name: Self.offsetGaugeLabel, help: Self.offsetHelp),
            success: registry.makeGauge(name: Self.successGaugeLabel, help: Self.successHelp)
        )
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
        let offset = result.offset ?? .nan
        let success: Double = result.best == nil ? 0 : 1
        switch self.gauges {
        case .factory(let factory):
            Self.gauge(Self.offsetGaugeLabel, factory).record(offset)
            Self.gauge(Self.successGaugeLabel, factory).record(success)
        case .prometheus(let offsetGauge, let successGauge):
            offsetGauge.set(offset)
            successGauge.set(success)
        }
        return previous
    }

    private static func gauge(_ label: String, _ factory: (any MetricsFactory)?) -> Metrics.Gauge {
        if let factory {
            return Metrics.Gauge(label: label, factory: factory)
        }
        return Metrics.Gauge(label: label)
    }
}
