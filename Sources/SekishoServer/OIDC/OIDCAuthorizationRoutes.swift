import Foundation
import HTTPTypes
import Hummingbird
import SekishoStore

/// `GET /oidc/authorize`, the consent form `POST /oidc/authorize/consent`, and RP-initiated logout
/// `GET/POST /oidc/end_session`: the provider's pages, behind the same session, CSRF and locale
/// middleware as the sign-in pages.
struct OIDCAuthorizationRoutes {
    let oidc: OIDCService
    let login: LoginService
    let returnPath: ReturnPath
    let renderer: PageRenderer

    func register(on pages: RouterGroup<SekishoRequestContext>) {
        pages.get("/oidc/authorize", use: authorize)
        pages.post("/oidc/authorize/consent", use: consent)
        pages.get("/oidc/end_session", use: showEndSession)
        pages.post("/oidc/end_session", use: endSession)
    }

    func authorize(_ request: Request, context: SekishoRequestContext) async throws -> Response {
        // Repeated parameters are refused (RFC 6749 §3.1) by the form parser.
        let query = try FormData.parse(bytes: Array((request.uri.query ?? "").utf8))
        do {
            let authorization = try await oidc.validate(query.fields)
            return try await proceed(authorization, context: context, consented: false)
        } catch let refusal as OIDCService.AuthorizationRefusal {
            return respond(refusal, context: context)
        }
    }

    func consent(_ request: Request, context: SekishoRequestContext) async throws -> Response {
        var fields = context.web.form.fields
        let decision = fields.removeValue(forKey: "decision")
        fields[CSRFProtection.fieldName] = nil
        do {
            let authorization = try await oidc.validate(fields)
            guard let session = context.web.session, session.isSignedIn else {
                return try await proceed(authorization, context: context, consented: false)
            }
            guard decision == "allow" else { throw oidc.declined(authorization) }
            try await oidc.recordConsent(authorization, user: session.user)
            return try await proceed(authorization, context: context, consented: true)
        } catch let refusal as OIDCService.AuthorizationRefusal {
            return respond(refusal, context: context)
        }
    }

    private func proceed(_ authorization: OIDCAuthorizationRequest, context: SekishoRequestContext, consented: Bool) async throws -> Response {
        switch try await oidc.authorize(authorization, session: context.web.session, consented: consented, clientAddress: context.clientAddress) {
        case .signIn(let parameters, let loginHint):
            let back = "/oidc/authorize?" + OIDCAuthorizationRoutes.query(parameters)
            var login = "/login" + returnPath.query(back)
            // The client's login_hint fills in the user ID field; the person can change it.
            if let loginHint, !loginHint.isEmpty {
                login += (login.contains("?") ? "&" : "?") + "username=" + QueryEncoding.encode(loginHint)
            }
            // Signed in already: prompt=login or max_age asks for a fresh sign-in.
            if context.web.session?.isSignedIn == true { login += (login.contains("?") ? "&" : "?") + "reauth=1" }
            return Redirect.response(to: login)
        case .askConsent:
            let scopes = authorization.scopes.map { ["label": renderer.localizer.text("oidc.scope.\($0)", context.web.language)] }
            let fields = authorization.parameters(signedInAfter: authorization.signedInAfter).map { ["name": $0.0, "value": $0.1] }
            let page = Page(
                "oidc-consent",
                title: "oidc.consent_title",
                values: [
                    "clientName": authorization.client.name, "scopes": scopes, "fields": fields,
                    "redirectHost": Self.origin(of: authorization.redirectURI) ?? "",
                ]
            )
            var response = renderer.render(page, web: context.web, path: "/oidc/authorize")
            // The answer to this form is a redirect to the client: browsers check it against form-action.
            response.headers[.contentSecurityPolicy] = Self.policy(formActionTo: authorization.redirectURI)
            return response
        case .issue(let code):
            var parameters = [("code", code)]
            if let state = authorization.state { parameters.append(("state", state)) }
            parameters.append(("iss", oidc.issuer))
            return send(parameters, to: authorization.redirectURI, mode: authorization.responseMode, context: context)
        }
    }

    private func respond(_ refusal: OIDCService.AuthorizationRefusal, context: SekishoRequestContext) -> Response {
        switch refusal {
        case .page(let key):
            let text = renderer.localizer.text(key, context.web.language)
            let page = Page("message", title: "oidc.error_title", values: ["message": text], status: .badRequest)
            return renderer.render(page, web: context.web, path: "/oidc/authorize")
        case .redirect(let mode, let redirectURI, let state, let error):
            var parameters = [("error", error.code), ("error_description", error.description)]
            if let state { parameters.append(("state", state)) }
            parameters.append(("iss", oidc.issuer))
            return send(parameters, to: redirectURI, mode: mode, context: context)
        }
    }

    /// The answer to the client: a redirect with the parameters in the query, or (form_post) a
    /// page whose form posts them, sent by a script file or by the person pressing the button.
    private func send(
        _ parameters: [(String, String)],
        to redirectURI: String,
        mode: OIDCAuthorizationRequest.ResponseMode,
        context: SekishoRequestContext
    )
        -> Response
    {
        switch mode {
        case .query:
            let separator = redirectURI.contains("?") ? "&" : "?"
            return Response(status: .found, headers: [.location: redirectURI + separator + Self.query(parameters)])
        case .formPost:
            let page = Page(
                "oidc-form-post",
                title: "oidc.form_post_title",
                values: ["action": redirectURI, "fields": parameters.map { ["name": $0.0, "value": $0.1] }]
            )
            var response = renderer.render(page, web: context.web, path: "/oidc/authorize")
            response.headers[.contentSecurityPolicy] = Self.policy(formActionTo: redirectURI, script: true)
            return response
        }
    }

    // MARK: - RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0)

    func showEndSession(_ request: Request, context: SekishoRequestContext) async throws -> Response {
        let query = try FormData.parse(bytes: Array((request.uri.query ?? "").utf8))
        let logout = try await oidc.validateLogout(query.fields, session: context.web.session)
        if logout.confirmed, let session = context.web.session {
            return try await finish(logout, ending: session, context: context)
        }
        // Without proof that the client asks for this user (a valid id_token_hint), the person
        // confirms: a link on another site must not be able to sign them out.
        let fields = logout.parameters.map { ["name": $0.0, "value": $0.1] }
        let page = Page("oidc-logout", title: "oidc.logout_title", values: ["fields": fields, "signedIn": context.web.session != nil])
        var response = renderer.render(page, web: context.web, path: "/oidc/end_session")
        if let target = logout.redirectURI { response.headers[.contentSecurityPolicy] = Self.policy(formActionTo: target) }
        return response
    }

    func endSession(_ request: Request, context: SekishoRequestContext) async throws -> Response {
        var fields = context.web.form.fields
        fields[CSRFProtection.fieldName] = nil
        let logout = try await oidc.validateLogout(fields, session: context.web.session)
        guard let session = context.web.session else { return finishWithoutSession(logout) }
        return try await finish(logout, ending: session, context: context)
    }

    private func finish(_ logout: OIDCLogout, ending session: ActiveSession, context: SekishoRequestContext) async throws -> Response {
        var response = finishWithoutSession(logout)
        let detail = logout.clientID.map { "requested by \($0)" } ?? "requested by a client"
        response.setCookie(try await login.signOut(session, clientAddress: context.clientAddress, detail: detail))
        return response
    }

    private func finishWithoutSession(_ logout: OIDCLogout) -> Response {
        guard let target = logout.redirectURI else { return Redirect.response(to: "/login") }
        let separator = target.contains("?") ? "&" : "?"
        return Redirect.response(to: logout.state.map { target + separator + Self.query([("state", $0)]) } ?? target)
    }

    // MARK: - Helpers

    static func query(_ parameters: [(String, String)]) -> String {
        parameters.map { "\(QueryEncoding.encode($0.0))=\(QueryEncoding.encode($0.1))" }.joined(separator: "&")
    }

    /// `scheme://host[:port]` of a URL, for `form-action`.
    static func origin(of url: String) -> String? {
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host, !host.isEmpty else {
            return nil
        }
        return "\(scheme)://\(host)" + (components.port.map { ":\($0)" } ?? "")
    }

    /// The pages' policy, with the client's origin added to `form-action` (and scripts from our
    /// own origin for the form_post page, which submits itself with `/static/oidc-form-post.js`).
    static func policy(formActionTo url: String, script: Bool = false) -> String {
        let target = origin(of: url).map { " \($0)" } ?? ""
        return "default-src 'none'; style-src 'self'; img-src 'self' data:;" + (script ? " script-src 'self';" : "")
            + " form-action 'self'\(target); frame-ancestors 'none'; base-uri 'none'"
    }
}

/// Percent-encoding for query values: everything but RFC 3986's unreserved characters.
enum QueryEncoding {
    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    static func encode(_ value: String) -> String { value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? "" }
}
