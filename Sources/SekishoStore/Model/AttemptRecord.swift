import Foundation

/// Failed-attempt counter for one account or one client address.
public struct AttemptRecord: Sendable, Equatable, Codable {
    public var scope: Scope
    public var key: String
    public var failures: Int
    public var windowStart: Date
    public var lockedUntil: Date?

    public enum Scope: String, Sendable, Codable {
        case account
        case address
    }

    public init(scope: Scope, key: String, failures: Int, windowStart: Date, lockedUntil: Date?) {
        self.scope = scope
        self.key = key
        self.failures = failures
        self.windowStart = windowStart
        self.lockedUntil = lockedUntil
    }
}
