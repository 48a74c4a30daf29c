import Foundation

/// How the clock check writes seconds in log lines and messages, so that they all read alike.
enum ClockFormatting {
    /// A signed offset with `digits` decimals: "+0.012 s", "-3.500 s".
    static func offset(_ seconds: Double, digits: Int = 3) -> String {
        String(format: "%+.\(digits)f s", seconds)
    }

    /// An unsigned duration with three decimals: "0.004 s".
    static func duration(_ seconds: Double) -> String {
        String(format: "%.3f s", seconds)
    }

    /// A configured limit as the operator wrote it: "3 s", "0.5 s".
    static func limit(_ seconds: Double) -> String {
        String(format: "%g s", seconds)
    }
}
