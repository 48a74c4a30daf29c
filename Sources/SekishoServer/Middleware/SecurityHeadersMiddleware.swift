import HTTPTypes
import Hummingbird

/// Headers every response carries (SPEC §2): no inline script, no framing, no referrer, no caching
/// of pages that may show secrets.
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Browsers check the redirect that answers a form against `form-action` too, so the apps a
    /// signed-in person returns to (forward auth) are listed there. `connect-src 'self'`: the
    /// login page's script asks the server for a passwordless sign-in's challenge.
    let contentSecurityPolicy: String

    init(formActionSources: String = "") {
        let formAction = (["'self'"] + (formActionSources.isEmpty ? [] : [formActionSources])).joined(separator: " ")
        contentSecurityPolicy =
            "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; connect-src 'self'; form-action \(formAction); frame-ancestors 'none'; base-uri 'none'"
    }

    static var referrerPolicy: HTTPField.Name { HTTPField.Name("Referrer-Policy")! }
    static var frameOptions: HTTPField.Name { HTTPField.Name("X-Frame-Options")! }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        // A page that posts to a client (the OpenID provider's consent and form_post pages) sets
        // its own policy, with that client's origin in form-action.
        if response.headers[.contentSecurityPolicy] == nil {
            response.headers[.contentSecurityPolicy] = contentSecurityPolicy
        }
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[Self.referrerPolicy] = "no-referrer"
        response.headers[Self.frameOptions] = "DENY"
        if !request.uri.path.hasPrefix("/static/") {
            response.headers[.cacheControl] = "no-store"
        }
        return response
    }
}
