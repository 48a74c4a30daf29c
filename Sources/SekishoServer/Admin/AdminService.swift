import Foundation
import SekishoCore
import SekishoStore

/// The rules of managing accounts, shared by the admin pages, the JSON API and the console.
///
/// `actor` is the administrator acting (nil at the console, where the operator already has the
/// machine). Sensitive changes to others — role, password, two-factor, deletion — need an
/// administrator who proved their password within the last 15 minutes, or proves it now.
struct AdminService: Sendable {
    static let recentAuthentication: TimeInterval = 15 * 60

    let store: any Store
    let hasher: any PasswordHasher
    let clock: any WallClock
    let users: UserService
    let mailSettings: MailSettingsService
    let notices: NoticeMails

    /// The minimum length and other rules for the passwords administrators set.
    var passwordPolicy: PasswordPolicy { users.policy }

    /// The user an API token (made with `sekisho token create`) acts for, while it is valid.
    func user(forAPIToken token: String) async throws -> User? {
        try await store.apiTokenUser(hash: OpaqueToken.hash(token), at: clock.now())
    }

    /// Who acts, and how recently they proved their password.
    struct Actor: Sendable {
        let user: User
        let authenticatedAt: Date
        let clientAddress: String
        /// API tokens are made at the console; they act without a password to re-enter.
        let isToken: Bool
    }

    enum Refusal: Error, Equatable {
        /// S2: two-factor needs mail delivery, for reset links.
        case mailNotConfigured
        case lastAdministrator
        case recentPasswordNeeded
        case wrongPassword
        case invalid(String)
        /// The user ID breaks a rule of ``UserName``; pages say which in the reader's language.
        case invalidUserID(UserName.Refusal)
        case notFound
    }

    struct ProfileChange: Sendable {
        var displayName: String
        var email: String
        var role: User.Role
        var twoFactorEnabled: Bool
        /// A new password for the user, or nil to keep it.
        var newPassword: String?
    }

    func user(id: Int64) async throws -> User {
        guard let user = try await store.user(id: id) else { throw Refusal.notFound }
        return user
    }

    func create(
        username: String,
        displayName: String,
        email: String,
        role: User.Role,
        password: String,
        twoFactorEnabled: Bool,
        actor: Actor?
    ) async throws -> User {
        if twoFactorEnabled { try await requireMail() }
        do {
            return try await users.create(
                username: username,
                displayName: displayName,
                email: email,
                role: role,
                password: password,
                twoFactorEnabled: twoFactorEnabled,
                actorUserID: actor?.user.id,
                // Like every other console action: the audit log says where it came from.
                clientAddress: actor?.clientAddress ?? "console"
            )
        } catch let refusal as UserService.Refusal {
            if let userID = refusal.userID { throw Refusal.invalidUserID(userID) }
            throw Refusal.invalid(refusal.description)
        }
    }

    func update(_ target: User, to change: ProfileChange, actor: Actor?, password: String?) async throws {
        let sensitive = change.role != target.role || change.twoFactorEnabled != target.twoFactorEnabled || change.newPassword != nil
        if sensitive, let actor, actor.user.id != target.id || change.newPassword != nil {
            try await requireRecentAuthentication(actor, password: password)
        }
        if change.twoFactorEnabled, !target.twoFactorEnabled { try await requireMail() }
        let email = change.email.trimmingCharacters(in: .whitespaces)
        guard UserService.isPlausibleAddress(email) else { throw Refusal.invalid("'\(change.email)' is not a mail address") }
        let name = change.displayName.trimmingCharacters(in: .whitespacesAndNewlines)
        guard name.count <= 200, !name.contains(where: \.isNewline), !UserService.containsControlCharacters(name) else {
            throw Refusal.invalid("the name is too long or has line breaks")
        }
        var newHash: String?
        if let newPassword = change.newPassword {
            do {
                try users.policy.check(newPassword, username: target.username)
            } catch {
                throw Refusal.invalid(UserService.explain(error))
            }
            newHash = try await hasher.hash(newPassword)
        }
        let now = clock.now()
        let changed = [
            name != target.displayName ? "name" : nil, email != target.email ? "email" : nil,
            change.role != target.role ? "role=\(change.role.rawValue)" : nil,
            change.twoFactorEnabled != target.twoFactorEnabled ? "two_factor=\(change.twoFactorEnabled ? "on" : "off")" : nil,
            newHash != nil ? "password" : nil,
        ].compactMap { $0 }.joined(separator: ",")
        let effects = SideEffects(audit: [audit(.userUpdated, target, actor, detail: changed)])
        guard
            try await store.updateProfile(
                userID: target.id,
                displayName: name,
                email: email,
                role: change.role,
                twoFactorEnabled: change.twoFactorEnabled,
                at: now,
                effects: effects
            )
        else { throw Refusal.lastAdministrator }
        if let newHash {
            try await store.updatePasswordHash(
                userID: target.id,
                hash: newHash,
                at: now,
                effects: SideEffects(mails: [notices.mail(.passwordChanged, to: target)])
            )
            // Whoever knew the old password is out.
            try await store.deleteSessions(userID: target.id, keeping: nil)
        }
    }

    func delete(_ target: User, actor: Actor?, password: String?) async throws {
        if let actor { try await requireRecentAuthentication(actor, password: password) }
        guard try await store.deleteUser(userID: target.id, at: clock.now(), effects: SideEffects(audit: [audit(.userDeleted, target, actor)])) else {
            throw Refusal.lastAdministrator
        }
    }

    /// Removes the authenticator (S10: the way back for someone who lost everything).
    func resetBinding(_ target: User, actor: Actor?) async throws {
        let effects = SideEffects(mails: [notices.mail(.bindingReset, to: target)], audit: [audit(.bindingResetByAdmin, target, actor)])
        try await store.removeBinding(userID: target.id, at: clock.now(), effects: effects)
    }

    /// Removes one of the user's authenticators (a lost phone, a key that went missing); the last
    /// one while two-factor is on goes like a reset.
    func removeAuthenticator(_ target: User, _ entry: AuthenticatorService.Entry, actor: Actor?) async throws -> AuthenticatorRemoval {
        let effects = AuthenticatorService.removalEffects(
            entry.authenticatorID,
            name: entry.name.isEmpty ? "TOTP" : entry.name,
            of: target,
            actor: actor?.user,
            clientAddress: actor?.clientAddress ?? "console",
            notices: notices
        )
        return try await store.removeAuthenticator(
            entry.authenticatorID,
            userID: target.id,
            at: clock.now(),
            effects: effects.others,
            lastOneEffects: effects.last
        )
    }

    /// Ends every session of the user at once (a stolen laptop, a departing employee); returns how
    /// many ended.
    @discardableResult
    func endSessions(_ target: User, actor: Actor?) async throws -> Int {
        try await store.endSessions(
            userID: target.id,
            keeping: nil,
            at: clock.now(),
            effects: SideEffects(audit: [audit(.sessionsEndedByAdmin, target, actor)])
        )
    }

    /// Forgets every browser the user let skip the second factor; returns how many.
    @discardableResult
    func forgetRememberedBrowsers(_ target: User, actor: Actor?) async throws -> Int {
        try await store.forgetRememberedBrowsers(
            userID: target.id,
            at: clock.now(),
            effects: SideEffects(audit: [audit(.rememberedBrowsersForgotten, target, actor, detail: "administrator")])
        )
    }

    func unlock(_ target: User, actor: Actor?) async throws {
        try await store.clearFailures(scope: .account, key: target.username)
        try await store.appendAudit(audit(.unlocked, target, actor), at: clock.now())
    }

    func requireMail() async throws {
        guard try await mailSettings.isConfigured() else { throw Refusal.mailNotConfigured }
    }

    func requireRecentAuthentication(_ actor: Actor, password: String?) async throws {
        guard !actor.isToken, clock.now().timeIntervalSince(actor.authenticatedAt) > Self.recentAuthentication else { return }
        guard let password, !password.isEmpty else { throw Refusal.recentPasswordNeeded }
        guard try await hasher.verify(password, against: actor.user.passwordHash) else { throw Refusal.wrongPassword }
    }

    private func audit(_ kind: AuditKind, _ target: User, _ actor: Actor?, detail: String = "") -> NewAuditEvent {
        NewAuditEvent(
            kind: kind.rawValue,
            actorUserID: actor?.user.id,
            subjectUserID: target.id,
            username: target.username,
            clientAddress: actor?.clientAddress ?? "console",
            detail: detail
        )
    }
}
