import Foundation
import Logging
import SekishoCore
import SekishoStore

/// The operator's console (`sekisho user ...`, `sekisho mail test`, `sekisho token create`):
/// the same rules as the admin pages, acting as the machine's operator. Works against the same
/// database while the server runs.
public struct Console: Sendable {
    let admin: AdminService
    let passwordless: PasswordlessService
    let store: any Store
    let mail: MailSettingsService
    let clock: any WallClock
    let secretBox: SecretBox

    /// A refusal worded for the terminal.
    public struct Refusal: Error, CustomStringConvertible {
        public let description: String
    }

    public init(_ dependencies: Dependencies, logger: Logger) async throws {
        try await dependencies.store.migrate()
        try await UserNameMigration.run(store: dependencies.store, clock: dependencies.clock, logger: logger)
        // The same services as the server's, so that the console follows the same rules.
        let services = try await Services.build(dependencies, logger: logger)
        mail = services.mailSettings
        admin = services.admin
        passwordless = services.passwordless
        store = dependencies.store
        clock = dependencies.clock
        secretBox = dependencies.secretBox
    }

    public func add(username: String, displayName: String, email: String, admin isAdmin: Bool, password: String, twoFactor: Bool) async throws -> User
    {
        try await translating {
            try await admin.create(
                username: username,
                displayName: displayName,
                email: email,
                role: isAdmin ? .admin : .user,
                password: password,
                twoFactorEnabled: twoFactor,
                actor: nil
            )
        }
    }

    public func list() async throws -> [UserSummary] {
        try await store.listUsers(search: nil, limit: 100_000, offset: 0, at: clock.now())
    }

    public func setPassword(_ username: String, to password: String) async throws {
        let user = try await find(username)
        try await translating { try await admin.update(user, to: change(user, newPassword: password), actor: nil, password: nil) }
    }

    public func setTwoFactor(_ username: String, enabled: Bool) async throws {
        let user = try await find(username)
        var change = change(user)
        change.twoFactorEnabled = enabled
        try await translating { try await admin.update(user, to: change, actor: nil, password: nil) }
    }

    public func setRole(_ username: String, admin isAdmin: Bool) async throws {
        let user = try await find(username)
        var change = change(user)
        change.role = isAdmin ? .admin : .user
        try await translating { try await admin.update(user, to: change, actor: nil, password: nil) }
    }

    public func resetBinding(_ username: String) async throws {
        let user = try await find(username)
        try await translating { try await admin.resetBinding(user, actor: nil) }
    }

    public func unlock(_ username: String) async throws {
        let user = try await find(username)
        try await translating { try await admin.unlock(user, actor: nil) }
    }

    public func delete(_ username: String) async throws {
        let user = try await find(username)
        try await translating { try await admin.delete(user, actor: nil, password: nil) }
    }

    /// Sends a test mail now; returns the server's reply.
    public func sendTestMail(to recipient: String) async throws -> String {
        do {
            return try await mail.sendTestMail(to: recipient)
        } catch {
            throw Refusal(description: "the test mail failed: \(error)")
        }
    }

    /// Creates an API token acting as `username` (an administrator); the token is shown once.
    public func createToken(name: String, for username: String) async throws -> String {
        let user = try await find(username)
        guard user.role == .admin else { throw Refusal(description: "\(user.username) is not an administrator") }
        let token = OpaqueToken.generate()
        let audit = NewAuditEvent(
            kind: AuditKind.apiTokenCreated.rawValue,
            actorUserID: user.id,
            subjectUserID: user.id,
            username: user.username,
            clientAddress: "console",
            detail: name
        )
        try await store.createAPIToken(hash: token.hash, name: name, userID: user.id, at: clock.now(), effects: SideEffects(audit: [audit]))
        return token.value
    }

    func find(_ username: String) async throws -> User {
        guard let user = try await store.user(username: UserName.normalize(username)) else { throw Refusal(description: "no user \(username)") }
        return user
    }

    private func change(_ user: User, newPassword: String? = nil) -> AdminService.ProfileChange {
        AdminService.ProfileChange(
            displayName: user.displayName,
            email: user.email,
            role: user.role,
            twoFactorEnabled: user.twoFactorEnabled,
            newPassword: newPassword
        )
    }

    private func translating<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let refusal as AdminService.Refusal {
            throw Refusal(description: Self.describe(refusal))
        }
    }

    static func describe(_ refusal: AdminService.Refusal) -> String {
        switch refusal {
        case .mailNotConfigured:
            "two-factor authentication needs mail delivery (S2): configure SMTP (mail.smtp.* or /admin/mail) or mail.transport: file"
        case .lastAdministrator: "refused: this is the last administrator"
        case .recentPasswordNeeded, .wrongPassword: "refused: password confirmation failed"
        case .invalid(let text): text
        case .invalidUserID(let refusal): refusal.description
        case .notFound: "no such user"
        }
    }
}
