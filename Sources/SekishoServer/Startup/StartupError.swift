/// A reason the server cannot start, worded for the operator.
public struct StartupError: Error, CustomStringConvertible, Equatable {
    public let message: String
    /// The process exit status: 1 when the database cannot be used, 2 for configuration and files,
    /// 3 for the clock check.
    public let exitCode: Int32

    public init(_ message: String, exitCode: Int32 = 2) {
        self.message = message
        self.exitCode = exitCode
    }

    public var description: String { message }
}
