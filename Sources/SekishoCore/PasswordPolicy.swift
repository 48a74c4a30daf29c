import Foundation

/// The rules a new password must meet.
///
/// Lengths are counted in user-perceived characters after NFC normalization, so "é" typed as one
/// code point or as "e" plus a combining accent counts once, and an emoji counts once.
public struct PasswordPolicy: Sendable {
    /// The fewest characters allowed.
    public var minimumLength: Int = 8
    /// The most characters allowed; a bound keeps hashing cost and request size predictable.
    public var maximumLength: Int = 256

    /// Creates a policy.
    public init(minimumLength: Int = 8, maximumLength: Int = 256) {
        precondition(minimumLength >= 1 && minimumLength <= maximumLength, "invalid password length bounds \(minimumLength)...\(maximumLength)")
        self.minimumLength = minimumLength
        self.maximumLength = maximumLength
    }

    /// The NFC form of a password: hash this, so the same password typed on systems that
    /// compose characters differently (macOS input vs. Windows, say) gives the same hash.
    public static func normalize(_ password: String) -> String {
        password.precomposedStringWithCanonicalMapping
    }

    /// Checks a password against the policy for a given user.
    ///
    /// - Throws: ``PasswordPolicyViolation/tooShort(minimum:)``,
    ///   ``PasswordPolicyViolation/tooLong(maximum:)``, or
    ///   ``PasswordPolicyViolation/containsUsername`` when the password equals the user ID or, for a
    ///   user ID of 3 or more characters, contains it, ignoring case. Shorter IDs are only checked
    ///   for equality, as a 1- or 2-character ID appears in many good passwords by chance.
    public func check(_ password: String, username: String) throws(PasswordPolicyViolation) {
        let password = Self.normalize(password)
        let length = password.count
        guard length >= minimumLength else { throw .tooShort(minimum: minimumLength) }
        guard length <= maximumLength else { throw .tooLong(maximum: maximumLength) }

        let username = Self.normalize(username).lowercased()
        guard !username.isEmpty else { return }
        let lowercasedPassword = password.lowercased()
        if lowercasedPassword == username {
            throw .containsUsername
        }
        if username.count >= 3, lowercasedPassword.contains(username) {
            throw .containsUsername
        }
    }
}

/// Why a password was refused.
public enum PasswordPolicyViolation: Error, Equatable, Hashable, Sendable, CustomStringConvertible {
    /// Fewer characters than the minimum.
    case tooShort(minimum: Int)
    /// More characters than the maximum.
    case tooLong(maximum: Int)
    /// The password equals or contains the user ID.
    case containsUsername

    public var description: String {
        switch self {
        case .tooShort(let minimum): "password must be at least \(minimum) characters"
        case .tooLong(let maximum): "password must be at most \(maximum) characters"
        case .containsUsername: "password must not contain the user ID"
        }
    }
}
