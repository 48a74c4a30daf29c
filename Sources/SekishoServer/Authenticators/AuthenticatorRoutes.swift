import Hummingbird
import SekishoStore

/// The dashboard's authenticators (`/account/authenticators/...`): one more authenticator app
/// (password, then its QR code and a code from it), renaming and removing any app or passkey.
/// Outcomes go back to the dashboard as `?authenticator=` words; removing the last one while
/// two-factor is on ends the session, so that page says so itself.
struct AuthenticatorRoutes {
    let authenticators: AuthenticatorService
    let sessions: SessionService
    let renderer: PageRenderer

    /// The words `?authenticator=` may carry, and the message each stands for.
    static let messages: [String: (Page.MessageKind, String)] = [
        "app_added": (.success, "authenticators.app_added"),
        "renamed": (.success, "authenticators.renamed"),
        "removed": (.success, "authenticators.removed"),
        "bad_name": (.error, "authenticators.name_invalid"),
        "expired": (.error, "authenticators.expired"),
        "wrong_password": (.error, "account.wrong_password"),
        "locked": (.error, "code.locked"),
        "too_many_apps": (.error, "authenticators.too_many_apps"),
    ]

    static func message(_ request: Request) -> (Page.MessageKind, String)? {
        request.uri.queryParameters["authenticator"].flatMap { messages[String($0)] }
    }

    func register(on group: RouterGroup<SignedInContext>) {
        group.post("/account/authenticators/app/new", use: beginApp)
        group.post("/account/authenticators/app", use: confirmApp)
        group.get("/account/authenticators/{kind}/{id}/rename", use: showRename)
        group.post("/account/authenticators/{kind}/{id}/rename", use: rename)
        group.post("/account/authenticators/{kind}/{id}/remove", use: remove)
    }

    /// The password checked, the page with the new app's QR code.
    func beginApp(_ request: Request, context: SignedInContext) async throws -> Response {
        do {
            let shown = try await authenticators.beginApp(
                session: context.session,
                password: context.web.form["password"] ?? "",
                clientAddress: context.clientAddress
            )
            return page(shown, name: "", context: context, error: nil)
        } catch let refusal as AuthenticatorService.Refusal {
            return Redirect.response(to: "/?authenticator=" + Self.word(refusal))
        }
    }

    func confirmApp(_ request: Request, context: SignedInContext) async throws -> Response {
        let form = context.web.form
        let name = form["name"] ?? ""
        do {
            _ = try await authenticators.confirmApp(
                session: context.session,
                name: name,
                code: form["code"] ?? "",
                clientAddress: context.clientAddress
            )
            return Redirect.response(to: "/?authenticator=app_added")
        } catch let refusal as AuthenticatorService.Refusal {
            // A wrong code or name shows the same QR code again, while the pending app lasts.
            guard refusal != .expired, let shown = try await authenticators.pendingApp(session: context.session) else {
                return Redirect.response(to: "/?authenticator=" + Self.word(refusal))
            }
            return page(shown, name: name, context: context, error: Self.messages[Self.word(refusal)]?.1 ?? "code.wrong")
        }
    }

    func showRename(_ request: Request, context: SignedInContext) async throws -> Response {
        let entry = try await target(context)
        return renamePage(entry, name: entry.name, context: context, error: nil)
    }

    func rename(_ request: Request, context: SignedInContext) async throws -> Response {
        let entry = try await target(context)
        let name = context.web.form["name"] ?? ""
        do {
            try await authenticators.rename(entry, of: context.session.user, to: name, clientAddress: context.clientAddress)
            return Redirect.response(to: "/?authenticator=renamed")
        } catch AuthenticatorService.Refusal.badName {
            return renamePage(entry, name: name, context: context, error: "authenticators.name_invalid")
        } catch AuthenticatorService.Refusal.notFound {
            throw HTTPError(.notFound, message: "no such authenticator")
        }
    }

    func remove(_ request: Request, context: SignedInContext) async throws -> Response {
        let entry = try await target(context)
        switch try await authenticators.remove(entry, of: context.session.user, actor: nil, clientAddress: context.clientAddress) {
        case .notFound:
            throw HTTPError(.notFound, message: "no such authenticator")
        case .removed:
            return Redirect.response(to: entry.kind == .passkey ? "/?passkey=removed" : "/?authenticator=removed")
        case .removedLast:
            // The reset ended every session of the user, this one too: this page is the last
            // one it shows, and its cookie goes.
            let page = Page(
                "message",
                title: "authenticators.reset_title",
                values: ["message": renderer.localizer.text("authenticators.reset_message", context.web.language), "linkHref": "/login"]
            )
            var response = renderer.render(page, web: context.web, path: "/")
            response.setCookie(sessions.cookie(value: "", maxAge: 0))
            return response
        }
    }

    private func target(_ context: SignedInContext) async throws -> AuthenticatorService.Entry {
        guard let kind = context.parameters.get("kind"), let id = context.parameters.get("id"),
            let entry = try await authenticators.entry(of: context.session.user, kind: kind, id: id)
        else { throw HTTPError(.notFound, message: "no such authenticator") }
        return entry
    }

    private func renamePage(_ entry: AuthenticatorService.Entry, name: String, context: SignedInContext, error: String?) -> Response {
        var page = Page(
            "authenticator-rename",
            title: "authenticators.rename_title",
            values: DashboardRoutes.row(entry).merging([
                "current": entry.name, "name": name, "maximumNameLength": AuthenticatorService.maximumNameLength,
            ]) { $1 },
            status: error == nil ? .ok : .badRequest
        )
        if let error { page = page.with(.error, error) }
        return renderer.render(page, web: context.web, path: "/account/authenticators/\(entry.kind.rawValue)/\(entry.id)/rename")
    }

    private func page(_ shown: EnrollmentService.Enrollment, name: String, context: SignedInContext, error: String?) -> Response {
        var page = Page(
            "authenticator-app-new",
            title: "authenticators.app_new_title",
            values: [
                "qrSVG": shown.qrSVG,
                // Groups of four for reading; the spans carry no spaces, so a copy gives the bare key.
                "manualKeyGroups": stride(from: 0, to: shown.key.count, by: 4).map { offset in
                    String(shown.key.dropFirst(offset).prefix(4))
                },
                "name": name,
                "maximumNameLength": AuthenticatorService.maximumNameLength,
            ]
        )
        if let error { page = page.with(.error, error) }
        return renderer.render(page, web: context.web, path: "/account/authenticators/app/new")
    }

    private static func word(_ refusal: AuthenticatorService.Refusal) -> String {
        switch refusal {
        case .wrongPassword: "wrong_password"
        case .locked: "locked"
        case .badName: "bad_name"
        case .wrongCode: "wrong_code"
        case .expired: "expired"
        case .notFound: "expired"
        case .tooManyApps: "too_many_apps"
        }
    }
}
