/// The local wall clock whose offset an ``SNTPClient`` measures.
///
/// Injected so that tests can simulate a clock that is off, and read T1/T4 at exactly known values.
public protocol SNTPLocalClock: Sendable {
    /// The current time as Unix seconds (since 1970-01-01 00:00 UTC).
    func now() -> Double
}
