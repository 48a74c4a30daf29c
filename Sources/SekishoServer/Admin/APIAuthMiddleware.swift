import HTTPTypes
import Hummingbird
import SekishoCore
import SekishoStore

/// Lets only administrators into `/api/v1`: a `Bearer` API token (made with `sekisho token
/// create`), or the session cookie of a fully signed-in administrator. Every error leaves as JSON.
struct APIAuthMiddleware: RouterMiddleware {
    typealias Context = APIContext
    let admin: AdminService
    let sessions: SessionService
    /// The origin of our pages when a public URL is configured (for the Origin check).
    let expectedOrigin: String?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            var context = context
            context.actor = try await actor(for: request, peer: context.clientAddress)
            return try await next(request, context)
        } catch let error as APIError {
            return error.response
        } catch let refusal as AdminService.Refusal {
            let status: HTTPResponse.Status =
                switch refusal {
                case .notFound: .notFound
                case .recentPasswordNeeded, .wrongPassword: .forbidden
                default: .unprocessableContent
                }
            return APIError(
                status: status,
                code: "\(refusal)".split(separator: "(").first.map(String.init) ?? "refused",
                message: Console.describe(refusal)
            ).response
        } catch let error as any HTTPResponseError {
            return APIError(status: error.status, code: "http_\(error.status.code)", message: "\(error)").response
        }
    }

    private func actor(for request: Request, peer: String) async throws -> AdminService.Actor {
        if let authorization = request.headers[.authorization] {
            guard authorization.hasPrefix("Bearer "), case let token = String(authorization.dropFirst(7)), OpaqueToken.isWellFormed(token),
                let user = try await admin.user(forAPIToken: token)
            else { throw APIError(status: .unauthorized, code: "invalid_token", message: "the API token is not valid") }
            guard user.role == .admin else { throw APIError(status: .forbidden, code: "forbidden", message: "administrators only") }
            return AdminService.Actor(user: user, authenticatedAt: admin.clock.now(), clientAddress: peer, isToken: true)
        }
        guard let session = try await sessions.load(token: request.cookies[SessionService.cookieName]?.value) else {
            throw APIError(status: .unauthorized, code: "unauthenticated", message: "sign in as an administrator or send an API token")
        }
        guard session.isSignedIn, session.user.role == .admin else {
            throw APIError(status: .forbidden, code: "forbidden", message: "administrators only")
        }
        // A cookie rides along with cross-site requests; a browser's own scripts are same-origin.
        if request.method != .get, !CSRFProtection.isSameOrigin(request, expectedOrigin: expectedOrigin) {
            throw APIError(status: .forbidden, code: "cross_origin", message: "cross-origin request refused")
        }
        return AdminService.Actor(user: session.user, authenticatedAt: session.record.authenticatedAt, clientAddress: peer, isToken: false)
    }
}
