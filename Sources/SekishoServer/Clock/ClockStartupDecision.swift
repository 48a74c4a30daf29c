/// Whether start-up may go on after the clock check; see ``ClockCheck/startupDecision(_:)``.
public enum ClockStartupDecision: Sendable, Equatable {
    /// Serve (any warning has been logged already).
    case proceed
    /// Stop start-up; the error carries the operator's message and exit status 3.
    case refuse(StartupError)
}
