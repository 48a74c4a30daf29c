import Hummingbird
import SekishoStore

/// `POST /login/reset` (from the code page) and the link of the mail, `GET/POST /reset/{token}`.
struct ResetRoutes {
    let reset: ResetLinkService
    let sessions: SessionService
    let renderer: PageRenderer

    func register(secondFactor group: RouterGroup<SecondFactorContext>, pages: RouterGroup<SekishoRequestContext>) {
        group.post("/reset", use: requestLink)
        pages.get("/reset/{token}", use: showConfirmation)
        pages.post("/reset/{token}", use: useLink)
    }

    func requestLink(_ request: Request, context: SecondFactorContext) async throws -> Response {
        let outcome = try await reset.requestLink(
            for: context.session,
            requestHost: request.head.authority,
            clientAddress: context.clientAddress
        )
        let message: (Page.MessageKind, String) =
            switch outcome {
            // Honest about delivery: the mail is queued, never "sent".
            case .queued(let delayed): delayed ? (.notice, "reset.sent_delayed") : (.success, "reset.sent")
            case .tooMany: (.error, "reset.too_many")
            case .hostNotAllowed: (.error, "reset.host_not_allowed")
            case .noAuthenticator: (.error, "account.no_authenticator")
            }
        let page = Page("verify", title: "verify.title", values: ["account": context.session.user.username]).with(message.0, message.1)
        return renderer.render(page, web: context.web, path: "/login/verify")
    }

    func showConfirmation(_ request: Request, context: SekishoRequestContext) async throws -> Response {
        let token = context.parameters.get("token") ?? ""
        guard try await reset.isUsable(token: token) else { return invalid(context: context) }
        let page = Page("reset-confirm", title: "reset.confirm_title", values: ["action": "/reset/\(token)"])
        return renderer.render(page, web: context.web, path: request.uri.path)
    }

    func useLink(_ request: Request, context: SekishoRequestContext) async throws -> Response {
        let token = context.parameters.get("token") ?? ""
        switch try await reset.useLink(token: token, clientAddress: context.clientAddress) {
        case .reset:
            var response = Redirect.response(to: "/login?reset=1")
            // The user's sessions ended with the reset; this browser's cookie goes too.
            if context.web.session != nil { response.setCookie(sessions.cookie(value: "", maxAge: 0)) }
            return response
        case .invalid:
            return invalid(context: context)
        }
    }

    private func invalid(context: SekishoRequestContext) -> Response {
        let page = Page(
            "message",
            title: "reset.invalid_title",
            values: ["message": renderer.localizer.text("reset.invalid", context.web.language), "linkHref": "/login"],
            status: .notFound
        )
        return renderer.render(page, web: context.web, path: "/login")
    }
}
