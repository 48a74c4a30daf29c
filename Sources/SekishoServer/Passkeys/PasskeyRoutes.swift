import Foundation
import Hummingbird
import SekishoStore

/// The passkey pages: adding one from the dashboard (`/account/passkeys/...`), removing one, and
/// confirming a half-way sign-in with one (`/login/verify/passkey`). Outcomes go back to the
/// dashboard or the code page as `?passkey=` words, which those pages turn into messages.
struct PasskeyRoutes {
    let passkeys: PasskeyService
    let browsers: KnownBrowsers
    let returnPath: ReturnPath
    let renderer: PageRenderer

    /// The words `?passkey=` may carry, and the message each stands for.
    static let messages: [String: (Page.MessageKind, String)] = [
        "added": (.success, "passkeys.added_message"),
        "removed": (.success, "passkeys.removed_message"),
        "wrong_password": (.error, "account.wrong_password"),
        "locked": (.error, "code.locked"),
        "bad_name": (.error, "passkeys.name_invalid"),
        "refused": (.error, "passkeys.refused"),
        "sign_in_refused": (.error, "passkeys.sign_in_refused"),
        "passwordless_refused": (.error, "passkeys.passwordless_refused"),
    ]

    static func message(_ request: Request) -> (Page.MessageKind, String)? {
        request.uri.queryParameters["passkey"].flatMap { messages[String($0)] }
    }

    func register(account: RouterGroup<SignedInContext>, secondFactor: RouterGroup<SecondFactorContext>) {
        account.post("/account/passkeys/new", use: begin)
        account.post("/account/passkeys", use: finish)
        account.post("/account/passkeys/{id}/remove", use: remove)
        secondFactor.post("/verify/passkey", use: signIn)
    }

    /// The password checked, the page that asks the browser for a new passkey.
    func begin(_ request: Request, context: SignedInContext) async throws -> Response {
        let form = context.web.form
        let name = (form["name"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        do {
            let options = try await passkeys.registrationOptions(
                session: context.session,
                name: name,
                password: form["password"] ?? "",
                clientAddress: context.clientAddress
            )
            let page = Page("passkey-new", title: "passkeys.new_title", values: ["passkeyOptions": options, "name": name])
            return renderer.render(page, web: context.web, path: "/account/passkeys/new")
        } catch let refusal as PasskeyService.Refusal {
            return Redirect.response(to: "/?passkey=" + Self.word(refusal))
        }
    }

    func finish(_ request: Request, context: SignedInContext) async throws -> Response {
        let form = context.web.form
        do {
            _ = try await passkeys.register(
                session: context.session,
                name: (form["name"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines),
                credentialJSON: form["credential"] ?? "",
                clientAddress: context.clientAddress
            )
            return Redirect.response(to: "/?passkey=added")
        } catch let refusal as PasskeyService.Refusal {
            return Redirect.response(to: "/?passkey=" + Self.word(refusal))
        }
    }

    func remove(_ request: Request, context: SignedInContext) async throws -> Response {
        guard let id = context.parameters.get("id").flatMap(Int64.init),
            try await passkeys.remove(id: id, session: context.session, clientAddress: context.clientAddress)
        else { throw HTTPError(.notFound, message: "no such passkey") }
        return Redirect.response(to: "/?passkey=removed")
    }

    func signIn(_ request: Request, context: SecondFactorContext) async throws -> Response {
        let form = context.web.form
        let rd = returnPath.sanitize(form["rd"])
        do {
            let cookie = try await passkeys.signIn(
                session: context.session,
                credentialJSON: form["credential"] ?? "",
                clientAddress: context.clientAddress
            )
            var response = Redirect.response(to: rd ?? "/")
            response.setCookie(cookie)
            // A sign-in like any other: a browser this account never used gets its notice.
            response.setCookie(try await browsers.signedIn(context.session.user, request: request, clientAddress: context.clientAddress))
            return response
        } catch is PasskeyService.Refusal {
            let query = returnPath.query(rd)
            return Redirect.response(to: "/login/verify" + (query.isEmpty ? "?" : query + "&") + "passkey=sign_in_refused")
        }
    }

    private static func word(_ refusal: PasskeyService.Refusal) -> String {
        switch refusal {
        case .wrongPassword: "wrong_password"
        case .locked: "locked"
        case .badName: "bad_name"
        case .refused: "refused"
        }
    }
}
