import Foundation

/// User IDs are compared and stored in one form: trimmed, NFC, lower case.
enum UserName {
    static let maximumLength = 64

    static func normalize(_ input: String) -> String {
        input.trimmingCharacters(in: .whitespacesAndNewlines).precomposedStringWithCanonicalMapping.lowercased()
    }

    /// Letters, digits and `. _ - @`; no ':' because authenticator labels split on it.
    static func isValid(_ normalized: String) -> Bool {
        guard (1...maximumLength).contains(normalized.count) else { return false }
        return normalized.unicodeScalars.allSatisfy { scalar in
            CharacterSet.alphanumerics.contains(scalar) || "._-@".unicodeScalars.contains(scalar)
        }
    }
}
