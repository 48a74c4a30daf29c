import Foundation
import SekishoStore

extension Console {
    /// One authenticator of a user as the console prints it (`sekisho user authenticators`).
    public struct AuthenticatorLine: Sendable, CustomStringConvertible {
        public let kind: String
        public let id: String
        public let name: String
        public let addedAt: Date
        public let lastUsedAt: Date?
        /// Passkey assertions refused because the counter went back: a copied key is suspected.
        public let counterRegressions: Int

        public var description: String {
            var line = "\(kind)\t\(id)\t\(name.isEmpty ? "(authenticator app)" : name)\tadded \(Self.text(addedAt))"
            line += "\tlast used \(lastUsedAt.map(Self.text) ?? "never")"
            if counterRegressions > 0 { line += "\tCOUNTER WENT BACK \(counterRegressions)x: a copy of this key may exist" }
            return line
        }

        private static func text(_ date: Date) -> String { date.ISO8601Format() }
    }

    /// `sekisho user authenticators NAME`: the user's apps and passkeys, oldest first.
    public func authenticators(of username: String) async throws -> [AuthenticatorLine] {
        let user = try await find(username)
        return try await AuthenticatorService.list(of: user, in: store).map { entry in
            AuthenticatorLine(
                kind: entry.kind.rawValue,
                id: entry.id,
                name: entry.name,
                addedAt: entry.addedAt,
                lastUsedAt: entry.lastUsedAt,
                counterRegressions: entry.counterRegressions
            )
        }
    }

    /// `sekisho user remove-authenticator NAME KIND ID`: what became of it, for the terminal. The
    /// last one while two-factor is on goes like a reset, as on the admin page.
    public func removeAuthenticator(of username: String, kind: String, id: String) async throws -> String {
        let user = try await find(username)
        guard let entry = try await AuthenticatorService.list(of: user, in: store).first(where: { $0.kind.rawValue == kind && $0.id == id })
        else { throw Refusal(description: "\(user.username) has no \(kind) \(id) (see: sekisho user authenticators \(user.username))") }
        switch try await admin.removeAuthenticator(user, entry, actor: nil) {
        case .notFound: throw Refusal(description: "\(user.username) has no \(kind) \(id) any more")
        case .removed: return "authenticator removed"
        case .removedLast: return "the last authenticator was removed: two-factor was reset, \(user.username) enrolls again at the next sign-in"
        }
    }

    /// `sekisho passwordless`: whether the login page offers passkey sign-in.
    public func isPasswordlessEnabled() async throws -> Bool { try await passwordless.isEnabled() }

    /// `sekisho passwordless on|off`.
    public func setPasswordless(_ enabled: Bool) async throws {
        try await passwordless.setEnabled(enabled, by: nil, clientAddress: "console")
    }
}
