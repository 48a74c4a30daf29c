import Hummingbird

/// `GET/POST /login` and `POST /logout`.
struct LoginRoutes {
    let login: LoginService
    let passwordless: PasswordlessService
    let browsers: KnownBrowsers
    let returnPath: ReturnPath
    let renderer: PageRenderer

    func register(on pages: RouterGroup<SekishoRequestContext>) {
        pages.get("/login", use: showLogin)
        pages.post("/login", use: submitLogin)
        pages.post("/logout", use: logout)
    }

    func showLogin(_ request: Request, context: SekishoRequestContext) async throws -> Response {
        let rd = returnPath.sanitize(request.uri.queryParameters["rd"].map(String.init))
        // `reauth`: the OpenID provider asks for a fresh sign-in (prompt=login, max_age).
        if let session = context.web.session, session.isSignedIn, request.uri.queryParameters["reauth"] == nil {
            return Redirect.response(to: rd ?? "/")
        }
        // A user ID to fill in: an OpenID client's login_hint, passed on by /oidc/authorize.
        let username = request.uri.queryParameters["username"].map(String.init).flatMap { $0.count <= 64 ? $0 : nil } ?? ""
        let offersPasskeys = try await passwordless.isEnabled()
        var page = Page("login", title: "login.title", values: ["rd": rd ?? "", "username": username, "passwordless": offersPasskeys])
        // The page most often asked for, by people and by bots: without rd it is the same for all.
        if rd == nil, username.isEmpty { page = page.sharable(variant: offersPasskeys ? "passwordless" : "") }
        if let (kind, key) = PasskeyRoutes.message(request) {
            page = page.with(kind, key)
        } else if request.uri.queryParameters["expired"] != nil {
            page = page.with(.notice, "login.expired")
        } else if request.uri.queryParameters["reset"] != nil {
            page = page.with(.success, "reset.done")
        } else if request.uri.queryParameters["setup"] != nil {
            page = page.with(.success, "setup.done")
        }
        return renderer.render(page, web: context.web, path: "/login")
    }

    func submitLogin(_ request: Request, context: SekishoRequestContext) async throws -> Response {
        let form = context.web.form
        let username = form["username"] ?? ""
        let rd = returnPath.sanitize(form["rd"])
        let outcome = try await login.signIn(
            username: username,
            password: form["password"] ?? "",
            replacing: context.web.session,
            clientAddress: context.clientAddress,
            userAgent: request.headers[.userAgent] ?? "",
            rememberedBrowser: request.cookies[RememberedBrowsers.cookieName]?.value
        )
        guard case .accepted(let next, let user, let cookie) = outcome else {
            let values: [String: Any] = ["username": username, "rd": rd ?? "", "passwordless": try await passwordless.isEnabled()]
            let page = Page("login", title: "login.title", values: values).with(.error, "login.failed")
            return renderer.render(page, web: context.web, path: "/login")
        }
        let target =
            switch next {
            case .signedIn: rd ?? "/"
            case .enroll: "/login/enroll" + returnPath.query(rd)
            case .verify: "/login/verify" + returnPath.query(rd)
            }
        var response = Redirect.response(to: target)
        response.setCookie(cookie)
        if next == .signedIn {
            response.setCookie(try await browsers.signedIn(user, request: request, clientAddress: context.clientAddress))
        }
        return response
    }

    func logout(_ request: Request, context: SekishoRequestContext) async throws -> Response {
        var response = Redirect.response(to: "/login")
        if let session = context.web.session {
            response.setCookie(try await login.signOut(session, clientAddress: context.clientAddress))
        }
        return response
    }
}
