/// A configuration problem the operator must fix; start-up stops with exit status 2.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    /// The key at fault, or the file or variable that could not be read.
    public let key: String
    public let message: String

    public init(key: String, _ message: String) {
        self.key = key
        self.message = message
    }

    public var description: String { "configuration error: \(key): \(message)" }
}
