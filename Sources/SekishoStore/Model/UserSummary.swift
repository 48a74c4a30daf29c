import Foundation

/// A row of the administrators' user list.
public struct UserSummary: Sendable, Equatable {
    public var user: User
    public var authenticatorBound: Bool
    public var lockedUntil: Date?

    public init(user: User, authenticatorBound: Bool, lockedUntil: Date?) {
        self.user = user
        self.authenticatorBound = authenticatorBound
        self.lockedUntil = lockedUntil
    }
}
