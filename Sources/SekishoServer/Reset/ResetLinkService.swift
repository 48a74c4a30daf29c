import Foundation
import Logging
import SekishoCore
import SekishoStore

/// The reset of a lost authenticator by a link sent by mail (S8, S9, S14).
///
/// Asking for the link needs the password (it is offered on the code page only) and changes
/// nothing: until the link is used, signing in with a code still works. Only the POST of the
/// link's confirmation page resets, so mail scanners that fetch links cannot trigger it.
struct ResetLinkService: Sendable {
    static let subject = "Two-Factor Authentication Reset"
    static let lifetime: TimeInterval = 15 * 60
    static let maximumPerHour = 3

    let store: any Store
    let clock: any WallClock
    let localizer: Localizer
    let notices: NoticeMails
    let publicURL: URL?
    let allowedHosts: [String]
    let logger: Logger
    /// The link is a secret: the outbox keeps it sealed, and a redacted copy of the text.
    let seal: OutboxSeal
    let outbox: OutboxStatus

    enum Request: Equatable {
        /// The mail is queued; `delayed` when mail is already waiting on errors (delivery failing
        /// for this address or for everyone), which the page says honestly.
        case queued(delayed: Bool)
        case tooMany
        /// No link base: no public URL and the request's Host is not allowed.
        case hostNotAllowed
        case noAuthenticator
    }

    enum Use: Equatable {
        case reset
        case invalid
    }

    /// Queues the reset mail for the user of a half-way session.
    func requestLink(for session: ActiveSession, requestHost: String?, clientAddress: String) async throws -> Request {
        let user = session.user
        guard try await store.hasAuthenticator(userID: user.id) else { return .noAuthenticator }
        guard let base = linkBase(requestHost: requestHost) else {
            logger.error(
                "reset link refused: Host '\(requestHost ?? "-")' is not in server.allowed_hosts and server.public_url is not set; no mail was sent",
                metadata: ["user": "\(user.username)"]
            )
            return .hostNotAllowed
        }
        let now = clock.now()
        guard try await store.resetTokenCount(userID: user.id, since: now.addingTimeInterval(-3600)) < Self.maximumPerHour else {
            return .tooMany
        }
        let token = OpaqueToken.generate()
        let link = "\(base)/reset/\(token.value)"
        let expires = now.addingTimeInterval(Self.lifetime)
        let mail = seal.mail(
            recipient: user.email,
            subject: Self.subject,
            text: body(link: link, user: user, expires: expires),
            redactedText: body(link: "\(base)/reset/…", user: user, expires: expires)
        )
        let audit = NewAuditEvent(
            kind: AuditKind.resetRequested.rawValue,
            subjectUserID: user.id,
            username: user.username,
            clientAddress: clientAddress
        )
        try await store.createResetToken(
            hash: token.hash,
            userID: user.id,
            at: now,
            expiresAt: expires,
            effects: SideEffects(mails: [mail], audit: [audit])
        )
        return .queued(delayed: try await outbox.deliveryIsFailing(for: user.email))
    }

    /// Whether the link can still be used (for the confirmation page; changes nothing).
    func isUsable(token: String) async throws -> Bool {
        guard OpaqueToken.isWellFormed(token) else { return false }
        return try await store.resetTokenUser(hash: OpaqueToken.hash(token), at: clock.now()) != nil
    }

    /// Uses the link: the binding, recovery codes and sessions go; a notice mail is queued.
    func useLink(token: String, clientAddress: String) async throws -> Use {
        guard OpaqueToken.isWellFormed(token) else { return .invalid }
        let now = clock.now()
        let hash = OpaqueToken.hash(token)
        guard let userID = try await store.resetTokenUser(hash: hash, at: now), let user = try await store.user(id: userID) else { return .invalid }
        let effects = SideEffects(
            mails: [notices.mail(.bindingReset, to: user)],
            audit: [
                NewAuditEvent(kind: AuditKind.resetCompleted.rawValue, subjectUserID: user.id, username: user.username, clientAddress: clientAddress)
            ]
        )
        return try await store.consumeResetToken(hash: hash, at: now, effects: effects) == userID ? .reset : .invalid
    }

    /// S14: the configured public URL; else the request's Host, only when it is allowed.
    func linkBase(requestHost: String?) -> String? {
        if let publicURL {
            return publicURL.absoluteString.hasSuffix("/") ? String(publicURL.absoluteString.dropLast()) : publicURL.absoluteString
        }
        guard let requestHost, let name = Self.hostName(of: requestHost), allowedHosts.contains(name) else { return nil }
        return "http://\(requestHost)"
    }

    /// The host part of a Host header (`example.com:8080`, `[::1]:8080`), lower case; nil if malformed.
    static func hostName(of header: String) -> String? {
        let value = header.lowercased()
        guard !value.isEmpty, value.allSatisfy({ $0.isLetter || $0.isNumber || ".-:[]".contains($0) }), value.count <= 255 else { return nil }
        if value.hasPrefix("[") {
            guard let end = value.firstIndex(of: "]") else { return nil }
            let rest = value[value.index(after: end)...]
            guard rest.isEmpty || (rest.hasPrefix(":") && rest.dropFirst().allSatisfy(\.isNumber)) else { return nil }
            return String(value[value.index(after: value.startIndex)..<end])
        }
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2, !parts[0].isEmpty, parts.count == 1 || parts[1].allSatisfy(\.isNumber) else { return nil }
        return String(parts[0])
    }

    private func body(link: String, user: User, expires: Date) -> String {
        let values = ["user": user.username, "link": link, "expires": NoticeMails.timestamp(expires)]
        let texts = [Language.ja, .en].map { language in
            values.reduce(localizer.text("mail.reset.body", language)) { $0.replacingOccurrences(of: "{\($1.key)}", with: $1.value) }
        }
        return texts.joined(separator: "\n\n----\n\n") + "\n"
    }
}
