import Foundation
import Hummingbird

/// Lets the sign-in pages' forms lead back to an OpenID client.
///
/// Browsers check every redirect that answers a form against the page's CSP `form-action`: the
/// code form posts, Sekisho answers 303 to `/oidc/authorize`, which answers 302 to the client. With
/// only `'self'` allowed, that last step is blocked. When a sign-in page's `rd` is an authorization
/// request for a registered client and redirect URI, that one origin is added to the page's policy.
struct OIDCReturnFormAction: RouterMiddleware {
    typealias Context = SekishoRequestContext
    let oidc: OIDCService

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        guard response.headers[.contentSecurityPolicy] == nil,
            let rd = request.uri.queryParameters["rd"].map(String.init) ?? context.web.form["rd"],
            rd.hasPrefix("/oidc/authorize?"),
            let items = URLComponents(string: rd)?.queryItems,
            let clientID = items.first(where: { $0.name == "client_id" })?.value,
            let redirectURI = items.first(where: { $0.name == "redirect_uri" })?.value,
            try await oidc.isRegistered(clientID: clientID, redirectURI: redirectURI)
        else { return response }
        response.headers[.contentSecurityPolicy] = OIDCAuthorizationRoutes.policy(formActionTo: redirectURI)
        return response
    }
}
