/// A failure of test support itself (a missing program, a folder that cannot be made), with a
/// message that says what to install or check.
public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
