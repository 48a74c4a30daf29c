import Foundation
import Logging
import SekishoCore
import SekishoStore

/// The first administrator: on a start with no users, a one-time link (1 hour) is printed; its
/// page creates the first administrator. The token and the creation are one transaction, so
/// the link works once and never after any user exists.
struct SetupService: Sendable {
    static let lifetime: TimeInterval = 3600

    let store: any Store
    let hasher: any PasswordHasher
    let clock: any WallClock
    let policy: PasswordPolicy
    let mailSettings: MailSettingsService

    /// Makes a setup link when there are no users; returns it (nil when users exist).
    func linkIfNeeded(base: String) async throws -> String? {
        guard try await store.userCount() == 0 else { return nil }
        let token = OpaqueToken.generate()
        let now = clock.now()
        try await store.createSetupToken(hash: token.hash, at: now, expiresAt: now.addingTimeInterval(Self.lifetime))
        return "\(base)/setup/\(token.value)"
    }

    func isUsable(token: String) async throws -> Bool {
        guard OpaqueToken.isWellFormed(token) else { return false }
        return try await store.setupTokenIsUsable(hash: OpaqueToken.hash(token), at: clock.now())
    }

    func createFirstAdministrator(
        token: String,
        username: String,
        displayName: String,
        email: String,
        password: String,
        confirmation: String,
        twoFactorEnabled: Bool,
        clientAddress: String
    ) async throws -> User? {
        guard OpaqueToken.isWellFormed(token) else { return nil }
        let name = UserName.normalize(username)
        do {
            try UserName.check(name)
        } catch {
            throw AdminService.Refusal.invalidUserID(error)
        }
        guard UserService.isPlausibleAddress(email) else { throw AdminService.Refusal.invalid("'\(email)' is not a mail address") }
        guard password == confirmation else { throw AdminService.Refusal.invalid("the two passwords differ") }
        do {
            try policy.check(password, username: name)
        } catch {
            throw AdminService.Refusal.invalid(UserService.explain(error))
        }
        if twoFactorEnabled, try await !mailSettings.isConfigured() { throw AdminService.Refusal.mailNotConfigured }
        let user = NewUser(
            username: name,
            displayName: displayName.trimmingCharacters(in: .whitespacesAndNewlines),
            email: email,
            role: .admin,
            passwordHash: try await hasher.hash(password),
            twoFactorEnabled: twoFactorEnabled
        )
        let audit = NewAuditEvent(kind: AuditKind.setupCompleted.rawValue, username: name, clientAddress: clientAddress)
        return try await store.consumeSetupToken(hash: OpaqueToken.hash(token), creating: user, at: clock.now(), effects: SideEffects(audit: [audit]))
    }
}
