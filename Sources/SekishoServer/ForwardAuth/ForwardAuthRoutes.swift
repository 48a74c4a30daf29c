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

    /// A `Remote-*` value that every proxy and app reads the same: printable ASCII stays as it is, anything else
    /// (non-ASCII letters as UTF-8, controls) and `%` itself are percent-encoded (RFC 3986).
    ///
    /// Raw UTF-8 in a header is read as Latin-1 by some proxies and apps and refused by others. Percent-decoding
    /// every value is always right: a plain ASCII value without `%` decodes to itself. `山田` → `%E5%B1%B1%E7%94%B0`.
    static func headerValue(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            if (0x20...0x7E).contains(byte), byte != UInt8(ascii: "%") {
                result.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                result += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return result
    }

    private func answer(_ request: Request, url: OriginalURL?, unauthenticated: (String) -> Response) async throws -> Response {
        switch try await service.decide(url: url, token: request.cookies[SessionService.cookieName]?.value) {
        case .allow(let user):
            var headers: HTTPFields = [:]
            if let user {
                headers[Self.remoteUser] = Self.headerValue(user.username)
                headers[Self.remoteEmail] = Self.headerValue(user.email)
                headers[Self.remoteName] = Self.headerValue(user.displayName.isEmpty ? user.username : user.displayName)
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

extension String {
    fileprivate func leftPadded(to length: Int) -> String {
        String(repeating: "0", count: Swift.max(0, length - count)) + self
    }
}
