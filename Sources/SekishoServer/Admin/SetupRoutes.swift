import Hummingbird
import SekishoCore

/// `GET/POST /setup/{token}`: the page that creates the first administrator.
struct SetupRoutes {
    let setup: SetupService
    let mailSettings: MailSettingsService
    let renderer: PageRenderer

    func register(on pages: RouterGroup<SekishoRequestContext>) {
        pages.get("/setup/{token}", use: show)
        pages.post("/setup/{token}", use: create)
    }

    func show(_ request: Request, context: SekishoRequestContext) async throws -> Response {
        let token = context.parameters.get("token") ?? ""
        guard try await setup.isUsable(token: token) else { return invalid(context) }
        return try await page(token: token, context: context, values: ["twoFactor": try await mailSettings.isConfigured()], error: nil)
    }

    func create(_ request: Request, context: SekishoRequestContext) async throws -> Response {
        let token = context.parameters.get("token") ?? ""
        let form = context.web.form
        do {
            let user = try await setup.createFirstAdministrator(
                token: token,
                username: form["username"] ?? "",
                displayName: form["display_name"] ?? "",
                email: form["email"] ?? "",
                password: form["password"] ?? "",
                confirmation: form["password_confirm"] ?? "",
                twoFactorEnabled: form["two_factor"] != nil,
                clientAddress: context.clientAddress
            )
            guard user != nil else { return invalid(context) }
            return Redirect.response(to: "/login?setup=1")
        } catch let refusal as AdminService.Refusal {
            let values: [String: Any] = [
                "username": form["username"] ?? "", "displayName": form["display_name"] ?? "", "email": form["email"] ?? "",
                "twoFactor": form["two_factor"] != nil,
            ]
            return try await page(
                token: token,
                context: context,
                values: values,
                error: refusal.text(renderer.localizer, context.web.language)
            )
        }
    }

    private func page(token: String, context: SekishoRequestContext, values: [String: Any], error: String?) async throws -> Response {
        var page = Page("setup", title: "setup.title", values: values)
        page.values["action"] = "/setup/\(token)"
        page.values["minimumLength"] = setup.policy.minimumLength
        if let error { page = page.with(.error, error) }
        return renderer.render(page, web: context.web, path: "/setup")
    }

    private func invalid(_ context: SekishoRequestContext) -> Response {
        let page = Page(
            "message",
            title: "setup.invalid_title",
            values: ["message": renderer.localizer.text("setup.invalid", context.web.language), "linkHref": "/login"],
            status: .notFound
        )
        return renderer.render(page, web: context.web, path: "/setup")
    }
}
