import HTTPTypes
import Hummingbird
import SekishoStore

/// `GET /api/authz/forward-auth` (Traefik, Caddy) and `GET /api/authz/auth-request` (nginx
/// `auth_request`). Registered outside the page middleware: no CSRF cookie, no page rendering.
struct ForwardAuthRoutes {
    static let remoteUser = HTTPField.Name("Remote-User")!
    static let remoteEmail = HTTPField.Name("Remote-Email")!
    static let remoteName = HTTPField.Name("Remote-Name")!
    static let remoteGroups = HTTPField.Name("Remote-Groups")!

    let service: ForwardAuthService

    func register(on router: Router<SekishoRequestContext>) {
        router.get("/api/authz/forward-auth") { request, context in
            let url = service.forwardedURL(request.headers, peer: context.peerAddress)
            return try await answer(request, url: url, unauthenticated: { Response(status: .found, headers: [.location: $0]) })
        }
        router.get("/api/authz/auth-request") { request, context in
            let url = service.originalURL(request.headers, peer: context.peerAddress)
            // nginx turns a 401 into the login redirect itself; the Location lets it take ours
            // (`auth_request_set $login $upstream_http_location`), with `rd` already encoded.
            return try await answer(request, url: url, unauthenticated: { Response(status: .unauthorized, headers: [.location: $0]) })
        }
    }

    private func answer(_ request: Request, url: OriginalURL?, unauthenticated: (String) -> Response) async throws -> Response {
        switch try await service.decide(url: url, token: request.cookies[SessionService.cookieName]?.value) {
        case .allow(let user):
            var headers: HTTPFields = [:]
            if let user {
                headers[Self.remoteUser] = user.username
                headers[Self.remoteEmail] = user.email
                headers[Self.remoteName] = user.displayName.isEmpty ? user.username : user.displayName
                headers[Self.remoteGroups] = user.role.rawValue
            }
            return Response(status: .ok, headers: headers)
        case .signIn(let loginURL):
            return unauthenticated(loginURL)
        case .forbidden:
            return Response(status: .forbidden)
        }
    }
}
