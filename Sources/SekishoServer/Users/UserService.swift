import Foundation
import SekishoCore
import SekishoStore

/// Creating accounts, for the console now and the admin pages later.
public struct UserService: Sendable {
    let store: any Store
    let hasher: any PasswordHasher
    let clock: any WallClock
    let policy: PasswordPolicy

    public struct Refusal: Error, CustomStringConvertible, Equatable {
        public let description: String
        /// Set when the user ID was refused, so that pages can say why in the reader's language.
        var userID: UserName.Refusal? = nil
    }

    /// Creates a user; the password is checked against the policy and hashed with Argon2id.
    public func create(
        username: String,
        displayName: String,
        email: String,
        role: User.Role,
        password: String,
        twoFactorEnabled: Bool,
        actorUserID: Int64? = nil,
        clientAddress: String? = nil
    ) async throws -> User {
        let name = UserName.normalize(username)
        do {
            try UserName.check(name)
        } catch {
            throw Refusal(description: error.description, userID: error)
        }
        if let existing = try await Self.lookAlike(of: name, store: store, at: clock.now()) {
            let refusal = UserName.Refusal.confusableWith(existing)
            throw Refusal(description: refusal.description, userID: refusal)
        }
        let mail = email.trimmingCharacters(in: .whitespaces)
        guard Self.isPlausibleAddress(mail) else { throw Refusal(description: "'\(email)' is not a mail address") }
        let display = displayName.trimmingCharacters(in: .whitespacesAndNewlines)
        guard display.count <= 200, !display.contains(where: { $0.isNewline }), !Self.containsControlCharacters(display) else {
            throw Refusal(description: "the name is too long or has line breaks")
        }
        do {
            try policy.check(password, username: name)
        } catch {
            throw Refusal(description: Self.explain(error))
        }
        let hash = try await hasher.hash(password)
        let audit = NewAuditEvent(kind: AuditKind.userCreated.rawValue, actorUserID: actorUserID, username: name, clientAddress: clientAddress)
        do {
            return try await store.createUser(
                NewUser(username: name, displayName: display, email: mail, role: role, passwordHash: hash, twoFactorEnabled: twoFactorEnabled),
                at: clock.now(),
                effects: SideEffects(audit: [audit])
            )
        } catch let error as StoreError where error.isDuplicate {
            throw Refusal(description: "the user ID \(name) is taken")
        }
    }

    /// The stored user ID that `name` looks like (same UTS #39 skeleton), such as `へいわ` for `ヘいわ`, or `nil`.
    static func lookAlike(of name: String, store: any Store, at now: Date) async throws -> String? {
        // Every account: a few thousand skeletons cost milliseconds, once per account created.
        let users = try await store.listUsers(search: nil, limit: 1_000_000, offset: 0, at: now)
        return users.first { UserName.looksAlike(name, $0.user.username) }?.user.username
    }

    /// One '@' with text on both sides, no spaces or line breaks: mail headers must stay intact.
    static func isPlausibleAddress(_ address: String) -> Bool {
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), address.count <= 254 else { return false }
        return !address.contains(where: { $0.isWhitespace || $0.isNewline || "<>\"(),;:\\".contains($0) }) && !containsControlCharacters(address)
    }

    /// Control characters (NUL among them) have no place in names or addresses: SQLite would cut a
    /// string at NUL, and mail headers must not carry them.
    static func containsControlCharacters(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0.properties.generalCategory == .control || $0 == "\u{2028}" || $0 == "\u{2029}" }
    }

    static func explain(_ violation: PasswordPolicyViolation) -> String {
        switch violation {
        case .tooShort(let minimum): "the password must have at least \(minimum) characters"
        case .tooLong(let maximum): "the password must have at most \(maximum) characters"
        case .containsUsername: "the password must not contain the user ID"
        }
    }
}
