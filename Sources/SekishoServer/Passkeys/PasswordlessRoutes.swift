import Foundation
import Hummingbird

/// Passwordless sign-in from the login page: `webauthn.js` asks `/login/passkey/options` for a
/// challenge (a POST with the page's CSRF token: it stores a row), lets the browser find a passkey,
/// and posts the answer to `/login/passkey` like any form. Both answer 404 while an administrator
/// has turned passwordless off.
struct PasswordlessRoutes {
    let passwordless: PasswordlessService
    let browsers: KnownBrowsers
    let returnPath: ReturnPath

    func register(on pages: RouterGroup<SekishoRequestContext>) {
        pages.post("/login/passkey/options", use: options)
        pages.post("/login/passkey", use: signIn)
    }

    func options(_ request: Request, context: SekishoRequestContext) async throws -> Response {
        let options: (json: String, cookie: Cookie)
        do {
            options = try await passwordless.options()
        } catch PasswordlessService.Refusal.disabled {
            throw HTTPError(.notFound)
        }
        var response = Response(
            status: .ok,
            headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: options.json))
        )
        response.setCookie(options.cookie)
        return response
    }

    func signIn(_ request: Request, context: SekishoRequestContext) async throws -> Response {
        let form = context.web.form
        let rd = returnPath.sanitize(form["rd"])
        do {
            let (user, cookie) = try await passwordless.signIn(
                credentialJSON: form["credential"] ?? "",
                ceremonyCookie: request.cookies[PasswordlessService.cookieName]?.value,
                replacing: context.web.session,
                clientAddress: context.clientAddress,
                userAgent: request.headers[.userAgent] ?? ""
            )
            var response = Redirect.response(to: rd ?? "/")
            response.setCookie(cookie)
            response.setCookie(passwordless.ceremonyCookie("", maxAge: 0))
            response.setCookie(try await browsers.signedIn(user, request: request, clientAddress: context.clientAddress))
            return response
        } catch PasswordlessService.Refusal.disabled {
            throw HTTPError(.notFound)
        } catch PasswordlessService.Refusal.refused {
            let query = returnPath.query(rd)
            return Redirect.response(to: "/login" + (query.isEmpty ? "?" : query + "&") + "passkey=passwordless_refused")
        }
    }
}
