import Hummingbird
import SekishoCore
import SekishoStore

/// The dashboard `/` of a signed-in person: who they are, two-factor status, new recovery
/// codes, password change, where they are signed in.
struct DashboardRoutes {
    let account: AccountService
    let authenticators: AuthenticatorService
    let sessionList: SessionListService
    let remembered: RememberedBrowsers
    let renderer: PageRenderer

    func register(on group: RouterGroup<SignedInContext>) {
        group.get("/", use: show)
        group.post("/account/password", use: changePassword)
        group.post("/account/recovery-codes", use: newRecoveryCodes)
        group.post("/account/sessions/end", use: endSession)
        group.post("/account/sessions/end-others", use: endOtherSessions)
        group.post("/account/browsers/forget", use: forgetBrowser)
    }

    func forgetBrowser(_ request: Request, context: SignedInContext) async throws -> Response {
        let forgotten = try await remembered.forget(
            handle: context.web.form["browser"] ?? "",
            of: context.session.user,
            clientAddress: context.clientAddress
        )
        return try await dashboard(context: context, message: forgotten ? (.success, "browsers.forgotten") : (.error, "browsers.not_found"))
    }

    func endSession(_ request: Request, context: SignedInContext) async throws -> Response {
        let ended = try await sessionList.end(
            handle: context.web.form["session"] ?? "",
            from: context.session,
            clientAddress: context.clientAddress
        )
        return try await dashboard(context: context, message: ended ? (.success, "sessions.ended") : (.error, "sessions.not_found"))
    }

    func endOtherSessions(_ request: Request, context: SignedInContext) async throws -> Response {
        _ = try await sessionList.endOthers(from: context.session, clientAddress: context.clientAddress)
        return try await dashboard(context: context, message: (.success, "sessions.others_ended"))
    }

    func show(_ request: Request, context: SignedInContext) async throws -> Response {
        try await dashboard(context: context, message: PasskeyRoutes.message(request) ?? AuthenticatorRoutes.message(request))
    }

    func changePassword(_ request: Request, context: SignedInContext) async throws -> Response {
        let form = context.web.form
        do {
            try await account.changePassword(
                session: context.session,
                current: form["current_password"] ?? "",
                new: form["new_password"] ?? "",
                confirmation: form["new_password_confirm"] ?? "",
                clientAddress: context.clientAddress
            )
            return try await dashboard(context: context, message: (.success, "account.password_changed"))
        } catch let refusal as AccountService.Refusal {
            return try await dashboard(context: context, message: (.error, Self.key(for: refusal)))
        }
    }

    func newRecoveryCodes(_ request: Request, context: SignedInContext) async throws -> Response {
        do {
            let codes = try await account.newRecoveryCodes(
                session: context.session,
                password: context.web.form["password"] ?? "",
                clientAddress: context.clientAddress
            )
            let page = Page("recovery-codes", title: "recovery.title", values: ["codes": codes, "continueHref": "/", "renewed": true])
            return renderer.render(page, web: context.web, path: "/")
        } catch let refusal as AccountService.Refusal {
            return try await dashboard(context: context, message: (.error, Self.key(for: refusal)))
        }
    }

    private func dashboard(context: SignedInContext, message: (Page.MessageKind, String)?) async throws -> Response {
        let user = context.session.user
        let status = try await account.secondFactorStatus(of: user)
        let entries = try await authenticators.list(of: user)
        let sessions = try await sessionList.list(for: context.session)
        let browsers = try await remembered.list(for: user)
        let unknown = renderer.localizer.text("sessions.unknown", context.web.language)
        var page = Page(
            "dashboard",
            title: "dashboard.title",
            values: [
                "user": [
                    "username": user.username,
                    "displayName": user.displayName.isEmpty ? user.username : user.displayName,
                    "email": user.email,
                    "isAdmin": user.role == .admin,
                ],
                "twoFactorEnabled": user.twoFactorEnabled,
                "authenticatorBound": status.authenticatorBound,
                "recoveryCodesRemaining": status.recoveryCodesRemaining,
                "recoveryCodesLow": status.recoveryCodesLow,
                "lastSignIn": user.lastSignInAt.map(NoticeMails.timestamp) ?? "",
                "minimumLength": account.policy.minimumLength,
                "hasApps": entries.contains { $0.kind == .app },
                "apps": entries.filter { $0.kind == .app }.map(Self.row),
                "hasPasskeys": entries.contains { $0.kind == .passkey },
                "passkeys": entries.filter { $0.kind == .passkey }.map(Self.row),
                "sessions": sessions.map { entry in
                    Self.device(handle: entry.handle, agent: entry.agent, place: entry.place, unknown: unknown).merging([
                        "signedInAt": NoticeMails.timestamp(entry.signedInAt),
                        "lastSeenAt": NoticeMails.timestamp(entry.lastSeenAt),
                        "isCurrent": entry.isCurrent,
                    ]) { $1 }
                },
                "hasOtherSessions": sessions.contains { !$0.isCurrent },
                // Listed while the feature is on, and while any browser is still remembered.
                "showRemembered": remembered.isOffered || !browsers.isEmpty,
                "remembered": browsers.map { entry in
                    Self.device(handle: entry.handle, agent: entry.agent, place: entry.place, unknown: unknown).merging([
                        "rememberedAt": NoticeMails.timestamp(entry.rememberedAt),
                        "expiresAt": NoticeMails.timestamp(entry.expiresAt),
                        "lastUsedAt": entry.lastUsedAt.map(NoticeMails.timestamp) ?? "—",
                    ]) { $1 }
                },
            ]
        )
        if let message { page = page.with(message.0, message.1) }
        return renderer.render(page, web: context.web, path: "/")
    }

    /// One authenticator as the dashboard and the administrator's page list it.
    static func row(_ entry: AuthenticatorService.Entry) -> [String: Any] {
        [
            "kind": entry.kind.rawValue, "id": entry.id, "name": entry.name, "unnamed": entry.name.isEmpty,
            "isApp": entry.kind == .app, "isPasskey": entry.kind == .passkey,
            "added": NoticeMails.timestamp(entry.addedAt), "lastUsed": entry.lastUsedAt.map(NoticeMails.timestamp) ?? "—",
            "counterRegressions": entry.counterRegressions, "counterRegressed": entry.counterRegressions > 0,
        ]
    }

    /// What a session and a remembered browser show alike: what names it on the page, the browser,
    /// the system and the network.
    private static func device(handle: String, agent: UserAgentSummary, place: String, unknown: String) -> [String: Any] {
        ["handle": handle, "browser": agent.browser ?? unknown, "system": agent.system ?? unknown, "place": place]
    }

    static func key(for refusal: AccountService.Refusal) -> String {
        switch refusal {
        case .wrongPassword: "account.wrong_password"
        case .locked: "code.locked"
        case .mismatch: "account.mismatch"
        case .policy(.tooShort): "account.too_short"
        case .policy(.tooLong): "account.too_long"
        case .policy(.containsUsername): "account.contains_username"
        case .noAuthenticator: "account.no_authenticator"
        }
    }
}
