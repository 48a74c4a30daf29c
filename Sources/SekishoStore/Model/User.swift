import Foundation

/// A person who can sign in; administrators are users with the `admin` role.
public struct User: Sendable, Equatable, Codable {
    public var id: Int64
    /// Normalised (NFC, lower case) and unique.
    public var username: String
    public var displayName: String
    public var email: String
    public var role: Role
    /// Argon2id PHC string.
    public var passwordHash: String
    /// The administrator's switch (S1); the binding itself lives in `TOTPBinding`.
    public var twoFactorEnabled: Bool
    public var createdAt: Date
    public var updatedAt: Date
    public var lastSignInAt: Date?

    public enum Role: String, Sendable, Codable, CaseIterable {
        case admin
        case user
    }
}

/// What is needed to create a user; the store assigns the id.
public struct NewUser: Sendable, Equatable {
    public var username: String
    public var displayName: String
    public var email: String
    public var role: User.Role
    public var passwordHash: String
    public var twoFactorEnabled: Bool

    public init(
        username: String,
        displayName: String,
        email: String,
        role: User.Role,
        passwordHash: String,
        twoFactorEnabled: Bool
    ) {
        self.username = username
        self.displayName = displayName
        self.email = email
        self.role = role
        self.passwordHash = passwordHash
        self.twoFactorEnabled = twoFactorEnabled
    }
}
