import Hummingbird
import SekishoCore

/// Prepares a page request: language, CSRF token (checked with the Origin on every POST),
/// the form of a POST, and the session.
struct WebMiddleware: RouterMiddleware {
    typealias Context = SekishoRequestContext
    let csrf: CSRFProtection
    let sessions: SessionService
    let expectedOrigin: String?
    let maxBodyBytes: Int
    let trustedProxies: [CIDR]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.clientAddress = ClientAddress.resolve(peer: context.peerAddress, headers: request.headers, trusted: trustedProxies)
        context.web.language = Language.preferred(by: request)
        var newNonce: String?
        let nonce: String
        if let existing = request.cookies[CSRFProtection.cookieName]?.value, OpaqueToken.isWellFormed(existing) {
            nonce = existing
        } else {
            nonce = OpaqueToken.generate().value
            newNonce = nonce
        }
        context.web.csrfToken = csrf.token(forNonce: nonce)
        if request.method == .post {
            guard CSRFProtection.isSameOrigin(request, expectedOrigin: expectedOrigin) else {
                throw HTTPError(.forbidden, message: "cross-origin POST refused (Origin: \(request.headers[.origin] ?? "-"))")
            }
            context.web.form = try await FormData.parse(request, limit: maxBodyBytes)
            guard newNonce == nil, csrf.isValid(token: context.web.form[CSRFProtection.fieldName], nonce: nonce) else {
                throw HTTPError(.forbidden, message: "missing or wrong CSRF token")
            }
        }
        context.web.session = try await sessions.load(token: request.cookies[SessionService.cookieName]?.value)

        var response = try await next(request, context)
        // A new session id (password, code, logout) comes with a new nonce too: a CSRF token
        // seen before a change of privilege is worth nothing after it, like the session id. A
        // route that renders a page in that same response renews it itself (`renewed`).
        let setCookies = response.headers[values: .setCookie]
        let renewsSession = setCookies.contains { $0.hasPrefix(SessionService.cookieName + "=") }
        let setsNonce = setCookies.contains { $0.hasPrefix(CSRFProtection.cookieName + "=") }
        if !setsNonce, let cookieNonce = newNonce ?? (renewsSession ? OpaqueToken.generate().value : nil) {
            response.setCookie(CSRFProtection.nonceCookie(cookieNonce, secure: sessions.secureCookies))
        }
        if let chosen = request.uri.queryParameters["lang"].flatMap({ Language(rawValue: String($0)) }) {
            response.setCookie(
                Cookie(
                    name: Language.cookieName,
                    value: chosen.rawValue,
                    maxAge: 365 * 86_400,
                    path: "/",
                    secure: sessions.secureCookies,
                    httpOnly: true,
                    sameSite: .lax
                )
            )
        }
        return response
    }
}
