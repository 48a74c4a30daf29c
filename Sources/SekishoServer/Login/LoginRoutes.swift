import Hummingbird
import SekishoStore

/// `GET/POST /login` and `POST /logout`.
struct LoginRoutes {
    let services: Services

    func register(on pages: RouterGroup<SekishoRequestContext>) {
        pages.get("/login", use: showLogin)
        pages.post("/login", use: submitLogin)
        pages.post("/logout", use: logout)
    }

    func showLogin(_ request: Request, context: SekishoRequestContext) async throws -> Response {
        let rd = services.returnPath.sanitize(request.uri.queryParameters["rd"].map(String.init))
        if let session = context.web.session, session.isSignedIn {
            return Redirect.response(to: rd ?? "/")
        }
        var page = Page("login", title: "login.title", values: ["rd": rd ?? ""])
        // The page most often asked for, by people and by bots: without rd it is the same for all.
        if rd == nil { page = page.sharable() }
        if request.uri.queryParameters["expired"] != nil {
            page = page.with(.notice, "login.expired")
        } else if request.uri.queryParameters["reset"] != nil {
            page = page.with(.success, "reset.done")
        } else if request.uri.queryParameters["setup"] != nil {
            page = page.with(.success, "setup.done")
        }
        return services.renderer.render(page, web: context.web, path: "/login")
    }

    func submitLogin(_ request: Request, context: SekishoRequestContext) async throws -> Response {
        let form = context.web.form
        let username = form["username"] ?? ""
        let rd = services.returnPath.sanitize(form["rd"])
        let outcome = try await services.login.checkPassword(
            username: username,
            password: form["password"] ?? "",
            clientAddress: context.clientAddress
        )
        guard case .accepted(let user, let next) = outcome else {
            let page = Page("login", title: "login.title", values: ["username": username, "rd": rd ?? ""]).with(.error, "login.failed")
            return services.renderer.render(page, web: context.web, path: "/login")
        }
        let address = context.clientAddress
        var response: Response
        switch next {
        case .signedIn:
            let effects = SideEffects(audit: [
                NewAuditEvent(
                    kind: AuditKind.signIn.rawValue,
                    subjectUserID: user.id,
                    username: user.username,
                    clientAddress: address,
                    detail: "password"
                )
            ])
            let cookie = try await services.sessions.start(
                .signedIn,
                for: user,
                replacing: context.web.session,
                clientAddress: address,
                effects: effects
            )
            try await services.limiter.recordSuccess(account: user.username)
            response = Redirect.response(to: rd ?? "/")
            response.setCookie(cookie)
        case .enroll, .verify:
            let effects = SideEffects(audit: [
                NewAuditEvent(kind: AuditKind.passwordAccepted.rawValue, subjectUserID: user.id, username: user.username, clientAddress: address)
            ])
            let cookie = try await services.sessions.start(
                .awaitingSecondFactor,
                for: user,
                replacing: context.web.session,
                clientAddress: address,
                effects: effects
            )
            response = Redirect.response(to: (next == .enroll ? "/login/enroll" : "/login/verify") + services.returnPath.query(rd))
            response.setCookie(cookie)
        }
        return response
    }

    func logout(_ request: Request, context: SekishoRequestContext) async throws -> Response {
        var response = Redirect.response(to: "/login")
        if let session = context.web.session {
            let user = session.user
            let effects = SideEffects(audit: [
                NewAuditEvent(kind: AuditKind.signOut.rawValue, subjectUserID: user.id, username: user.username, clientAddress: context.clientAddress)
            ])
            response.setCookie(try await services.sessions.end(session, effects: effects))
        }
        return response
    }
}
