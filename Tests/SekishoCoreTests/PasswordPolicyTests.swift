import SekishoCore
import Testing

@Suite struct PasswordPolicyTests {
    let policy = PasswordPolicy()

    @Test func defaultsAreEightTo256() {
        #expect(policy.minimumLength == 8)
        #expect(policy.maximumLength == 256)
    }

    @Test func refusesShortAndLongPasswords() throws {
        #expect(throws: PasswordPolicyViolation.tooShort(minimum: 8)) { try policy.check("1234567", username: "alice") }
        try policy.check("12345678", username: "alice")
        try policy.check(String(repeating: "x", count: 256), username: "alice")
        #expect(throws: PasswordPolicyViolation.tooLong(maximum: 256)) {
            try policy.check(String(repeating: "x", count: 257), username: "alice")
        }
        let strict = PasswordPolicy(minimumLength: 12, maximumLength: 64)
        #expect(throws: PasswordPolicyViolation.tooShort(minimum: 12)) { try strict.check("correcthors", username: "alice") }
        try strict.check("correcthorse", username: "alice")
    }

    @Test func normalizesToNFC() throws {
        let decomposed = "caf" + "e\u{0301}"
        let precomposed = "caf\u{00E9}"
        #expect(decomposed.unicodeScalars.count == 5 && precomposed.unicodeScalars.count == 4)
        #expect(Array(PasswordPolicy.normalize(decomposed).utf8) == Array(precomposed.utf8))
        #expect(Array(PasswordPolicy.normalize(precomposed).utf8) == Array(precomposed.utf8))
        // Eight characters either way, however the é was typed.
        try policy.check("caf\u{00E9}1234", username: "alice")
        try policy.check("cafe\u{0301}1234", username: "alice")
        #expect(throws: PasswordPolicyViolation.tooShort(minimum: 8)) { try policy.check("e\u{0301}e\u{0301}e\u{0301}1234", username: "x") }
    }

    @Test func countsAnEmojiAsOneCharacter() throws {
        let family = "👨‍👩‍👧‍👦"
        #expect(throws: PasswordPolicyViolation.tooShort(minimum: 8)) { try policy.check(family + "123456", username: "alice") }
        try policy.check(family + "1234567", username: "alice")
        try policy.check(String(repeating: "🔑", count: 256), username: "alice")
        #expect(throws: PasswordPolicyViolation.tooLong(maximum: 256)) { try policy.check(String(repeating: "🔑", count: 257), username: "alice") }
    }

    @Test func refusesTheUsernameIgnoringCase() throws {
        #expect(throws: PasswordPolicyViolation.containsUsername) { try policy.check("administrator", username: "administrator") }
        #expect(throws: PasswordPolicyViolation.containsUsername) { try policy.check("ADMINISTRATOR", username: "Administrator") }
        #expect(throws: PasswordPolicyViolation.containsUsername) { try policy.check("my-Alice-2024", username: "alice") }
        #expect(throws: PasswordPolicyViolation.containsUsername) { try policy.check("xx山田太郎xx", username: "山田太郎") }
        #expect(throws: PasswordPolicyViolation.containsUsername) { try policy.check("bobcafe\u{0301}99", username: "Caf\u{00E9}") }
        try policy.check("correct horse battery", username: "alice")
    }

    @Test func shortUsernamesAreOnlyCheckedForEquality() throws {
        try policy.check("jo-jo-jo-jo", username: "jo")
        let lenient = PasswordPolicy(minimumLength: 2)
        #expect(throws: PasswordPolicyViolation.containsUsername) { try lenient.check("JO", username: "jo") }
        #expect(throws: PasswordPolicyViolation.containsUsername) { try policy.check("xxbobxxx", username: "bob") }
    }
}
