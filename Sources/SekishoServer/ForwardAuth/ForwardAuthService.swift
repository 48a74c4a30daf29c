import Foundation
import HTTPTypes
import SekishoStore

/// Answers a reverse proxy asking whether a request for a protected app may pass.
///
/// This is the hot path: every request to every protected app comes through here, so it does
/// one session lookup (whose only write is the once-a-minute touch) and renders nothing.
struct ForwardAuthService: Sendable {
    /// What the proxy is told.
    enum Decision: Sendable, Equatable {
        /// 200. `user` is nil for a `bypass` rule, which needs no session lookup.
        case allow(user: User?)
        /// Nobody fully signed in: 302 to / 401 with the login URL.
        case signIn(loginURL: String)
        /// Signed in, but the rule asks for an administrator.
        case forbidden(user: User)
    }

    static let forwardedProto = HTTPField.Name("X-Forwarded-Proto")!
    static let forwardedHost = HTTPField.Name("X-Forwarded-Host")!
    static let forwardedURI = HTTPField.Name("X-Forwarded-Uri")!
    static let originalURL = HTTPField.Name("X-Original-URL")!

    let sessions: SessionService
    let rules: [ForwardAuthRule]
    let trustedProxies: [CIDR]
    /// `<public URL>/login`, or `/login` without a public URL.
    let loginPage: String
    /// Applied when the original URL is unknown: no rule can be known to match, so the strictest may apply.
    let strictestPolicy: ForwardAuthRule.Policy

    init(sessions: SessionService, rules: [ForwardAuthRule], trustedProxies: [CIDR], publicURL: URL?) {
        self.sessions = sessions
        self.rules = rules
        self.trustedProxies = trustedProxies
        var base = publicURL?.absoluteString ?? ""
        while base.hasSuffix("/") { base.removeLast() }
        loginPage = base + "/login"
        strictestPolicy = rules.map(\.policy).reduce(.signedIn, max)
    }

    /// The original URL from `X-Forwarded-Proto/Host/Uri`, believed only from a trusted proxy.
    func forwardedURL(_ headers: HTTPFields, peer: String) -> OriginalURL? {
        guard ClientAddress.isTrustedProxy(peer, trusted: trustedProxies) else { return nil }
        return OriginalURL(proto: headers[Self.forwardedProto], host: headers[Self.forwardedHost], uri: headers[Self.forwardedURI])
    }

    /// The original URL from `X-Original-URL`, believed only from a trusted proxy.
    func originalURL(_ headers: HTTPFields, peer: String) -> OriginalURL? {
        guard ClientAddress.isTrustedProxy(peer, trusted: trustedProxies), let text = headers[Self.originalURL] else { return nil }
        return OriginalURL(text)
    }

    /// The first matching rule's policy; `signed_in` when none matches; the strictest one in use
    /// when the URL is unknown or its path cannot be read.
    func policy(for url: OriginalURL?) -> ForwardAuthRule.Policy {
        guard let url, let path = url.path else { return strictestPolicy }
        return rules.first { $0.matches(host: url.host, path: path) }?.policy ?? .signedIn
    }

    /// Decides for the session named by the cookie value `token`.
    func decide(url: OriginalURL?, token: String?) async throws -> Decision {
        let policy = policy(for: url)
        if policy == .bypass { return .allow(user: nil) }
        // A half-way session (password accepted, code pending) is no sign-in.
        guard let session = try await sessions.loadSignedIn(token: token) else {
            return .signIn(loginURL: loginURL(returningTo: url))
        }
        if policy == .admin, session.user.role != .admin { return .forbidden(user: session.user) }
        return .allow(user: session.user)
    }

    /// The login page with `rd` set to the original URL (whether it is followed after sign-in
    /// is decided there, against `forward_auth.allowed_domains`).
    func loginURL(returningTo url: OriginalURL?) -> String {
        guard let url else { return loginPage }
        return loginPage + "?rd=" + (url.text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
    }
}
