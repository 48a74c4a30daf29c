import Foundation
import Hummingbird
import SekishoStore

/// `/admin/clients`: the OpenID Connect clients (relying parties). Lists them, registers a new one
/// (its secret is shown on the answer to that POST only, never again) and removes one. Clients
/// from the configuration file are listed but changed only in the file.
struct AdminClientRoutes {
    let registration: OIDCClientRegistration
    /// The issuer, shown with a new client's settings: apps are configured with it.
    let issuer: String
    let renderer: PageRenderer

    func register(on group: RouterGroup<AdminContext>) {
        group.get("/admin/clients", use: list)
        group.post("/admin/clients", use: add)
        group.post("/admin/clients/{id}/remove", use: remove)
    }

    func list(_ request: Request, context: AdminContext) async throws -> Response {
        let message: (Page.MessageKind, String)? = request.uri.queryParameters["removed"] != nil ? (.success, "admin.client_removed") : nil
        return try await page(context: context, form: nil, message: message)
    }

    func add(_ request: Request, context: AdminContext) async throws -> Response {
        let form = context.web.form
        let clientRequest = Self.request(from: form)
        do {
            let (client, secret) = try await registration.add(clientRequest, actor: .administrator(context.actor))
            var values: [String: Any] = ["createdID": client.clientID, "issuer": issuer]
            if let secret { values["createdSecret"] = secret }
            return try await page(context: context, form: nil, message: (.success, "admin.client_added"), extra: values)
        } catch let refusal as OIDCClientRegistration.Refusal {
            return try await page(context: context, form: form, message: (.error, text(refusal, context)))
        }
    }

    func remove(_ request: Request, context: AdminContext) async throws -> Response {
        let clientID = context.parameters.get("id") ?? ""
        do {
            try await registration.remove(clientID: clientID, actor: .administrator(context.actor))
            return Redirect.response(to: "/admin/clients?removed=1")
        } catch let refusal as OIDCClientRegistration.Refusal {
            return try await page(context: context, form: nil, message: (.error, text(refusal, context)))
        }
    }

    /// What the form asks for. Lists are one entry per line (URIs) or separated by spaces or
    /// commas (user IDs); unticked boxes are absent from a form.
    static func request(from form: FormData) -> OIDCClientRegistration.Request {
        func lines(_ name: String) -> [String] {
            (form[name] ?? "").split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        func seconds(_ name: String, _ fallback: Int) -> Int { Int(form[name]?.trimmingCharacters(in: .whitespaces) ?? "") ?? fallback }
        let clientID = (form["client_id"] ?? "").trimmingCharacters(in: .whitespaces)
        var request = OIDCClientRegistration.Request(
            clientID: clientID,
            name: (form["name"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines),
            redirectURIs: lines("redirect_uris")
        )
        request.postLogoutRedirectURIs = lines("post_logout_redirect_uris")
        request.isPublic = form["public"] != nil
        request.scopes = OIDCService.supportedScopes.filter { form["scope_\($0)"] != nil }
        request.accessPolicy = OIDCClient.AccessPolicy(rawValue: form["access"] ?? "") ?? .everyone
        request.allowedUsernames = (form["users"] ?? "").split(whereSeparator: { $0 == "," || $0.isWhitespace }).map(String.init)
        request.skipConsent = form["skip_consent"] != nil
        request.requirePKCE = form["require_pkce"] != nil
        request.signingAlgorithm = OIDCClient.SigningAlgorithm(rawValue: form["signing_alg"] ?? "") ?? .rs256
        request.accessTokenLifetime = seconds("access_token_lifetime", request.accessTokenLifetime)
        request.idTokenLifetime = seconds("id_token_lifetime", request.idTokenLifetime)
        request.refreshTokenLifetime = seconds("refresh_token_lifetime", request.refreshTokenLifetime)
        return request
    }

    private func text(_ refusal: OIDCClientRegistration.Refusal, _ context: AdminContext) -> String {
        let reason = renderer.localizer.text("admin.client_refused.\(refusal.reason.rawValue)", context.web.language)
        return refusal.subject.isEmpty ? reason : "\(reason) \(refusal.subject)"
    }

    /// The list and the form: refilled with what was sent after a refusal, the defaults otherwise.
    private func page(
        context: AdminContext,
        form: FormData?,
        message: (Page.MessageKind, String)?,
        extra: [String: Any] = [:]
    ) async throws -> Response {
        let clients = try await registration.list()
        let sent = form.map(Self.request(from:)) ?? OIDCClientRegistration.Request(clientID: "", name: "", redirectURIs: [])
        var values: [String: Any] = [
            "clients": clients.map(Self.row),
            "hasClients": !clients.isEmpty,
            "clientID": sent.clientID, "name": sent.name,
            "redirectURIs": sent.redirectURIs.joined(separator: "\n"),
            "postLogoutRedirectURIs": sent.postLogoutRedirectURIs.joined(separator: "\n"),
            "isPublic": sent.isPublic, "skipConsent": sent.skipConsent, "requirePKCE": sent.requirePKCE,
            "scopes": OIDCService.supportedScopes.map { ["scope": $0, "checked": sent.scopes.contains($0)] as [String: Any] },
            "access_everyone": sent.accessPolicy == .everyone, "access_admins": sent.accessPolicy == .admins,
            "access_listed": sent.accessPolicy == .listed, "users": sent.allowedUsernames.joined(separator: " "),
            "alg_rs256": sent.signingAlgorithm == .rs256, "alg_es256": sent.signingAlgorithm == .es256,
            "accessTokenLifetime": sent.accessTokenLifetime, "idTokenLifetime": sent.idTokenLifetime,
            "refreshTokenLifetime": sent.refreshTokenLifetime,
        ]
        values.merge(extra) { $1 }
        var page = Page("admin-clients", title: "admin.clients_title", values: values)
        if let message { page = page.with(message.0, message.1) }
        return renderer.render(page, web: context.web, path: "/admin/clients")
    }

    private static func row(_ client: OIDCClient) -> [String: Any] {
        [
            "id": client.clientID, "name": client.name, "isPublic": client.isPublic, "alg": client.signingAlgorithm.rawValue,
            "access_everyone": client.accessPolicy == .everyone, "access_admins": client.accessPolicy == .admins,
            "access_listed": client.accessPolicy == .listed, "listedCount": client.allowedUserIDs.count,
            "skipConsent": client.skipConsent, "fromFile": client.source == .config,
            "redirectURIs": client.redirectURIs, "scopes": client.scopes.joined(separator: " "),
        ]
    }
}
