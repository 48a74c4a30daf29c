import Foundation

/// Hashes and verifies passwords, storing the algorithm and its cost in the returned string.
///
/// Implementations NFC-normalise the password and encode it as UTF-8 before hashing, in both
/// ``hash(_:)`` and ``verify(_:against:)``, so "é" typed as one code point or as "e" plus a combining
/// accent is the same password (use ``normalizedBytes(of:)``).
public protocol PasswordHasher: Sendable {
    /// Hashes `password` with a fresh random salt and returns a self-describing encoded string.
    func hash(_ password: String) async throws -> String
    /// Whether `password` matches `encoded`; `false` (not an error) for a malformed `encoded`.
    func verify(_ password: String, against encoded: String) async throws -> Bool
    /// Whether `encoded` was made with weaker settings than the current ones and should be replaced
    /// by a fresh ``hash(_:)`` after the next successful ``verify(_:against:)``.
    func needsRehash(_ encoded: String) -> Bool
}

extension PasswordHasher {
    /// The bytes to hash for `password`: Unicode NFC normalisation, then UTF-8.
    public func normalizedBytes(of password: String) -> [UInt8] {
        Array(password.precomposedStringWithCanonicalMapping.utf8)
    }
}
