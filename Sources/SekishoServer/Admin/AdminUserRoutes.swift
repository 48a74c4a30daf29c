import Foundation
import Hummingbird
import SekishoCore
import SekishoStore

/// `/admin/users`: list, create, edit, delete, reset the authenticator, unlock, end the sessions,
/// forget the remembered browsers.
struct AdminUserRoutes {
    static let pageSize = 25
    let admin: AdminService
    let reports: AdminReports
    let authenticators: AuthenticatorService
    let mailSettings: MailSettingsService
    let renderer: PageRenderer

    func register(on group: RouterGroup<AdminContext>) {
        group.get("/admin", use: { _, _ in Redirect.response(to: "/admin/users") })
        group.get("/admin/users", use: list)
        group.get("/admin/users/new", use: showNew)
        group.post("/admin/users/new", use: create)
        group.get("/admin/users/{id}", use: showEdit)
        group.post("/admin/users/{id}", use: update)
        group.post("/admin/users/{id}/delete", use: delete)
        group.post("/admin/users/{id}/reset-2fa", use: userAction { user, actor in try await admin.resetBinding(user, actor: actor) })
        group.post("/admin/users/{id}/authenticators/{kind}/{authenticator}/remove", use: removeAuthenticator)
        group.post("/admin/users/{id}/unlock", use: userAction { user, actor in try await admin.unlock(user, actor: actor) })
        group.post("/admin/users/{id}/end-sessions", use: userAction { user, actor in _ = try await admin.endSessions(user, actor: actor) })
        group.post(
            "/admin/users/{id}/forget-browsers",
            use: userAction { user, actor in _ = try await admin.forgetRememberedBrowsers(user, actor: actor) }
        )
    }

    func list(_ request: Request, context: AdminContext) async throws -> Response {
        let search = request.uri.queryParameters["q"].map(String.init)?.trimmingCharacters(in: .whitespaces)
        let page = max(1, request.uri.queryParameters["page"].flatMap { Int(String($0)) } ?? 1)
        let total = try await reports.userCount(search: search)
        let rows = try await reports.users(search: search, limit: Self.pageSize, offset: (page - 1) * Self.pageSize)
        let query = search.map { "&q=" + ($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "") } ?? ""
        var values: [String: Any] = [
            "q": search ?? "",
            "users": rows.map { row in
                [
                    "id": row.user.id, "username": row.user.username, "displayName": row.user.displayName, "email": row.user.email,
                    "isAdmin": row.user.role == .admin, "twoFactor": row.user.twoFactorEnabled, "bound": row.authenticatorBound,
                    "locked": row.lockedUntil != nil, "lastSignIn": row.user.lastSignInAt.map(NoticeMails.timestamp) ?? "—",
                ] as [String: Any]
            },
            "total": total,
            "page": page,
        ]
        // Absent keys, not empty strings or nil: Mustache would render those as links.
        if page > 1 { values["previous"] = "/admin/users?page=\(page - 1)\(query)" }
        if page * Self.pageSize < total { values["next"] = "/admin/users?page=\(page + 1)\(query)" }
        return renderer.render(Page("admin-users", title: "admin.users_title", values: values), web: context.web, path: "/admin/users")
    }

    func showNew(_ request: Request, context: AdminContext) async throws -> Response {
        try await newPage(context: context, values: ["role_user": true, "twoFactor": try await mailSettings.isConfigured()], error: nil)
    }

    func create(_ request: Request, context: AdminContext) async throws -> Response {
        let form = context.web.form
        do {
            let user = try await admin.create(
                username: form["username"] ?? "",
                displayName: form["display_name"] ?? "",
                email: form["email"] ?? "",
                role: form["role"] == "admin" ? .admin : .user,
                password: form["password"] ?? "",
                twoFactorEnabled: form["two_factor"] != nil,
                actor: context.actor
            )
            return Redirect.response(to: "/admin/users/\(user.id)?created=1")
        } catch let refusal as AdminService.Refusal {
            let values: [String: Any] = [
                "username": form["username"] ?? "", "displayName": form["display_name"] ?? "", "email": form["email"] ?? "",
                "role_admin": form["role"] == "admin", "role_user": form["role"] != "admin", "twoFactor": form["two_factor"] != nil,
            ]
            return try await newPage(context: context, values: values, error: refusal.text(renderer.localizer, context.web.language))
        }
    }

    func showEdit(_ request: Request, context: AdminContext) async throws -> Response {
        let user = try await target(context)
        let query = request.uri.queryParameters
        let message: (Page.MessageKind, String)? =
            if query["created"] != nil {
                (.success, "admin.user_created")
            } else if query["saved"] != nil {
                (.success, "admin.saved")
            } else if query["authenticator_removed"] != nil {
                (.success, "admin.authenticator_removed")
            } else if query["authenticator_reset"] != nil {
                (.notice, "admin.authenticator_removed_last")
            } else {
                nil
            }
        return try await editPage(user, context: context, message: message)
    }

    func update(_ request: Request, context: AdminContext) async throws -> Response {
        let user = try await target(context)
        let form = context.web.form
        let newPassword = form["new_password"].flatMap { $0.isEmpty ? nil : $0 }
        let change = AdminService.ProfileChange(
            displayName: form["display_name"] ?? user.displayName,
            email: form["email"] ?? user.email,
            role: form["role"] == "admin" ? .admin : .user,
            twoFactorEnabled: form["two_factor"] != nil,
            newPassword: newPassword
        )
        return try await perform(user, context: context, success: "/admin/users/\(user.id)?saved=1") {
            try await admin.update(user, to: change, actor: context.actor, password: form["admin_password"])
        }
    }

    func delete(_ request: Request, context: AdminContext) async throws -> Response {
        let user = try await target(context)
        return try await perform(user, context: context, success: "/admin/users") {
            try await admin.delete(user, actor: context.actor, password: context.web.form["admin_password"])
        }
    }

    /// Removes one of the user's apps or passkeys; the last one while two-factor is on resets.
    func removeAuthenticator(_ request: Request, context: AdminContext) async throws -> Response {
        let user = try await target(context)
        guard let kind = context.parameters.get("kind"), let id = context.parameters.get("authenticator"),
            let entry = try await authenticators.entry(of: user, kind: kind, id: id)
        else { throw HTTPError(.notFound, message: "no such authenticator") }
        switch try await admin.removeAuthenticator(user, entry, actor: context.actor) {
        case .notFound: throw HTTPError(.notFound, message: "no such authenticator")
        case .removed: return Redirect.response(to: "/admin/users/\(user.id)?authenticator_removed=1")
        case .removedLast: return Redirect.response(to: "/admin/users/\(user.id)?authenticator_reset=1")
        }
    }

    /// A button of the user's page that does one thing to the user, then shows the page again.
    private func userAction(
        _ action: @escaping @Sendable (User, AdminService.Actor) async throws -> Void
    ) -> @Sendable (Request, AdminContext) async throws -> Response {
        { _, context in
            let user = try await target(context)
            return try await perform(user, context: context, success: "/admin/users/\(user.id)?saved=1") { try await action(user, context.actor) }
        }
    }

    private func perform(_ user: User, context: AdminContext, success: String, _ action: () async throws -> Void) async throws -> Response {
        do {
            try await action()
            return Redirect.response(to: success)
        } catch let refusal as AdminService.Refusal {
            return try await editPage(user, context: context, message: (.error, refusal.messageKey))
        }
    }

    private func target(_ context: AdminContext) async throws -> User {
        guard let id = context.parameters.get("id").flatMap(Int64.init), let user = try await reports.user(id: id) else {
            throw HTTPError(.notFound, message: "no such user")
        }
        return user
    }

    private func newPage(context: AdminContext, values: [String: Any], error: String?) async throws -> Response {
        var page = Page("admin-user-new", title: "admin.new_title", values: values)
        page.values["mailConfigured"] = try await mailSettings.isConfigured()
        page.values["minimumLength"] = admin.passwordPolicy.minimumLength
        if let error { page = page.with(.error, error) }
        return renderer.render(page, web: context.web, path: "/admin/users/new")
    }

    private func editPage(_ user: User, context: AdminContext, message: (Page.MessageKind, String)?) async throws -> Response {
        let standing = try await reports.standing(of: user)
        let entries = try await authenticators.list(of: user)
        let recent = reports.clock.now().timeIntervalSince(context.session.record.authenticatedAt) <= AdminService.recentAuthentication
        var page = Page(
            "admin-user-edit",
            title: "admin.edit_title",
            values: [
                "target": [
                    "id": user.id, "username": user.username, "displayName": user.displayName, "email": user.email,
                    "role_admin": user.role == .admin, "role_user": user.role == .user, "twoFactor": user.twoFactorEnabled,
                    "bound": standing.authenticatorBound,
                    "locked": standing.locked,
                    "createdAt": NoticeMails.timestamp(user.createdAt), "lastSignIn": user.lastSignInAt.map(NoticeMails.timestamp) ?? "—",
                ] as [String: Any],
                "authenticators": entries.map(DashboardRoutes.row),
                "hasAuthenticators": !entries.isEmpty,
                "targetID": user.id,
                "needsPassword": !recent,
                "isSelf": user.id == context.session.user.id,
            ]
        )
        if let message { page = page.with(message.0, message.1) }
        return renderer.render(page, web: context.web, path: "/admin/users/\(user.id)")
    }
}
