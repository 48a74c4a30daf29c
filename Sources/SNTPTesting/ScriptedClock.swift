import SNTPClient
import Synchronization

/// A local clock that returns scripted readings in order (T1, then T4), repeating the last one when exhausted.
public final class ScriptedClock: SNTPLocalClock {
    private let readings: Mutex<[Double]>
    private let last: Double

    /// Creates a clock that returns `readings` one after the other.
    public init(_ readings: Double...) {
        self.readings = Mutex(readings)
        self.last = readings.last ?? 0
    }

    public func now() -> Double {
        self.readings.withLock { $0.isEmpty ? self.last : $0.removeFirst() }
    }
}
