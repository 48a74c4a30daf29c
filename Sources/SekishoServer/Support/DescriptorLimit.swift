#if canImport(Glibc)
import Glibc
#endif

/// The process's limit on open file descriptors (`RLIMIT_NOFILE`).
///
/// Running out is not just a refused connection: libdispatch, which runs Swift's tasks on Linux,
/// watches its worker threads by opening `/proc/<tid>/stat` and crashes the process when that
/// open fails (`_dispatch_workq_monitor_pools`, "registered worker exited prematurely"). So
/// Sekisho raises the soft limit as far as it may and keeps its connections well below it
/// (``ConnectionLimit``).
public enum DescriptorLimit {
    /// The soft limit now; nil when unlimited or unknown.
    static func current() -> Int? {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max else { return nil }
        return Int(clamping: limit.rlim_cur)
    }

    /// Raises the soft limit to the hard one (at most 1,048,576), as Go programs do at start-up:
    /// systems often start services with a soft limit of 1024 and a much higher hard one.
    /// Returns the soft limit before and after, or nil when nothing changed.
    ///
    /// Called by `sekisho serve` before anything else runs, never from `buildApplication`: a
    /// process-wide limit changed while other threads spawn programs (the tests, which build the
    /// application many times in one process) crashed Foundation's `Process.run`.
    @discardableResult
    public static func raiseToHardLimit() -> (before: Int, after: Int)? {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        let target = min(limit.rlim_max, 1 << 20)
        guard limit.rlim_cur < target else { return nil }
        let before = limit.rlim_cur
        limit.rlim_cur = target
        guard setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        return (Int(clamping: before), Int(clamping: target))
    }
}
