import Foundation
import Hummingbird
import SekishoStore

/// `/login/enroll` (scan the QR code, S3) and `/login/verify` (enter the code, S6), reachable
/// only from the half-way session that a correct password starts.
struct SecondFactorRoutes {
    let enrollment: EnrollmentService
    let secondFactor: SecondFactorService
    let passkeys: PasskeyService
    let browsers: KnownBrowsers
    let remembered: RememberedBrowsers
    let csrf: CSRFProtection
    let returnPath: ReturnPath
    let renderer: PageRenderer

    func register(on group: RouterGroup<SecondFactorContext>) {
        group.get("/enroll", use: showEnroll)
        group.post("/enroll", use: submitEnroll)
        group.get("/verify", use: showVerify)
        group.post("/verify", use: submitVerify)
    }

    func showEnroll(_ request: Request, context: SecondFactorContext) async throws -> Response {
        let rd = returnPath.sanitize(request.uri.queryParameters["rd"].map(String.init))
        if try await enrollment.isEnrolled(context.session.user) {
            return Redirect.response(to: "/login/verify" + returnPath.query(rd))
        }
        return try await enrollPage(context: context, rd: rd, error: nil)
    }

    func submitEnroll(_ request: Request, context: SecondFactorContext) async throws -> Response {
        let form = context.web.form
        let rd = returnPath.sanitize(form["rd"])
        switch try await enrollment.confirm(code: form["code"] ?? "", session: context.session, clientAddress: context.clientAddress) {
        case .confirmed(let codes, let cookie):
            // Signed in by this response: the page's forms already carry the new session's token.
            let renewed = csrf.renewed(context.web, secure: enrollment.sessions.secureCookies)
            var response = recoveryCodesPage(codes, web: renewed.web, continueTo: rd ?? "/", path: "/login/enroll")
            response.setCookie(cookie)
            response.setCookie(renewed.cookie)
            response.setCookie(try await browsers.signedIn(context.session.user, request: request, clientAddress: context.clientAddress))
            return response
        case .wrongCode:
            return try await enrollPage(context: context, rd: rd, error: "code.wrong")
        case .locked:
            return try await enrollPage(context: context, rd: rd, error: "code.locked")
        case .expired:
            return Redirect.response(to: "/login?expired=1")
        }
    }

    func showVerify(_ request: Request, context: SecondFactorContext) async throws -> Response {
        let rd = returnPath.sanitize(request.uri.queryParameters["rd"].map(String.init))
        if try await !enrollment.isEnrolled(context.session.user) {
            return Redirect.response(to: "/login/enroll" + returnPath.query(rd))
        }
        return try await verifyPage(context: context, rd: rd, message: PasskeyRoutes.message(request))
    }

    func submitVerify(_ request: Request, context: SecondFactorContext) async throws -> Response {
        let form = context.web.form
        let rd = returnPath.sanitize(form["rd"])
        switch try await secondFactor.verify(code: form["code"] ?? "", session: context.session, clientAddress: context.clientAddress) {
        case .accepted(_, let cookie):
            var response = Redirect.response(to: rd ?? "/")
            response.setCookie(cookie)
            let user = context.session.user
            response.setCookie(try await browsers.signedIn(user, request: request, clientAddress: context.clientAddress))
            if form["remember"] != nil,
                let remember = try await remembered.remember(user, userAgent: request.headers[.userAgent] ?? "", clientAddress: context.clientAddress)
            {
                response.setCookie(remember)
            }
            return response
        case .refused(let phoneClockOffset):
            var page = try await verifyPageValues(context: context, rd: rd, message: (.error, "code.wrong"))
            if let offset = phoneClockOffset {
                page.values["clockHint"] = renderer.localizer.text(offset < 0 ? "code.clock_slow" : "code.clock_fast", context.web.language)
                    .replacingOccurrences(of: "{seconds}", with: String(abs(offset)))
            }
            return renderer.render(page, web: context.web, path: "/login/verify")
        case .locked:
            return try await verifyPage(context: context, rd: rd, message: (.error, "code.locked"))
        }
    }

    private func enrollPage(context: SecondFactorContext, rd: String?, error: String?) async throws -> Response {
        let shown = try await enrollment.current(for: context.session)
        var page = Page(
            "enroll",
            title: "enroll.title",
            values: [
                "qrSVG": shown.qrSVG,
                // Groups of four for reading; the spans carry no spaces, so a copy gives the bare key.
                "manualKeyGroups": stride(from: 0, to: shown.key.count, by: 4).map { offset in
                    String(shown.key.dropFirst(offset).prefix(4))
                },
                "account": context.session.user.username,
                "rd": rd ?? "",
            ]
        )
        if let error { page = page.with(.error, error) }
        return renderer.render(page, web: context.web, path: "/login/enroll")
    }

    private func verifyPage(context: SecondFactorContext, rd: String?, message: (Page.MessageKind, String)?) async throws -> Response {
        renderer.render(try await verifyPageValues(context: context, rd: rd, message: message), web: context.web, path: "/login/verify")
    }

    /// The code page; with a passkey registered, also the button that uses it (and a new challenge).
    private func verifyPageValues(context: SecondFactorContext, rd: String?, message: (Page.MessageKind, String)?) async throws -> Page {
        var page = Page("verify", title: "verify.title", values: ["rd": rd ?? "", "account": context.session.user.username])
        if let options = try await passkeys.assertionOptions(session: context.session) {
            page.values["passkeyOptions"] = options
        }
        if remembered.isOffered {
            page.values["rememberOffered"] = true
            page.values["rememberDays"] = remembered.days
        }
        if let message { page = page.with(message.0, message.1) }
        return page
    }

    private func recoveryCodesPage(_ codes: [String], web: WebState, continueTo: String, path: String) -> Response {
        var web = web
        web.session = nil
        let page = Page("recovery-codes", title: "recovery.title", values: ["codes": codes, "continueHref": continueTo])
        return renderer.render(page, web: web, path: path)
    }
}
