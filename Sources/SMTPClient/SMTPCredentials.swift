/// A user name and password for SMTP AUTH. The password never appears in descriptions, dumps or logs.
public struct SMTPCredentials: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Which SASL mechanism to use.
    public enum Mechanism: Sendable, Hashable {
        /// RFC 4616 PLAIN.
        case plain
        /// The de-facto LOGIN mechanism (user name and password in two 334 round trips).
        case login
        /// PLAIN when the server offers it, else LOGIN.
        case automatic
    }

    /// The user name.
    public var username: String
    /// The password.
    public var password: String
    /// The mechanism, ``Mechanism/automatic`` by default.
    public var mechanism: Mechanism

    /// Makes credentials.
    public init(username: String, password: String, mechanism: Mechanism = .automatic) {
        self.username = username
        self.password = password
        self.mechanism = mechanism
    }

    public var description: String { "SMTPCredentials(username: \(self.username), password: <redacted>, mechanism: \(self.mechanism))" }
    public var debugDescription: String { self.description }
    public var customMirror: Mirror {
        Mirror(self, children: ["username": self.username, "password": "<redacted>", "mechanism": self.mechanism])
    }
}
