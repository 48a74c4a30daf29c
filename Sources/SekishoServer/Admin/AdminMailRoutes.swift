import Foundation
import Hummingbird
import SMTPClient
import SekishoStore

/// `/admin/mail`: the SMTP settings (password stored sealed, never shown back) and a test mail
/// that reports the server's reply.
struct AdminMailRoutes {
    let mailSettings: MailSettingsService
    let renderer: PageRenderer

    func register(on group: RouterGroup<AdminContext>) {
        group.get("/admin/mail", use: show)
        group.post("/admin/mail", use: save)
        group.post("/admin/mail/test", use: sendTest)
    }

    func show(_ request: Request, context: AdminContext) async throws -> Response {
        try await page(context: context, message: request.uri.queryParameters["saved"] != nil ? (.success, "admin.saved") : nil)
    }

    func save(_ request: Request, context: AdminContext) async throws -> Response {
        let form = context.web.form
        let host = (form["host"] ?? "").trimmingCharacters(in: .whitespaces)
        let security = SMTPSettings.Security(rawValue: form["security"] ?? "") ?? .starttls
        guard !host.isEmpty, host.allSatisfy({ $0.isLetter || $0.isNumber || ".-:".contains($0) }) else {
            return try await page(context: context, message: (.error, "admin.mail_bad_host"))
        }
        guard let port = Int(form["port"] ?? ""), (1...65535).contains(port) else {
            return try await page(context: context, message: (.error, "admin.mail_bad_port"))
        }
        let username = form["username"].flatMap { $0.isEmpty ? nil : $0 }
        let caFile = form["ca_file"].flatMap { $0.isEmpty ? nil : $0 }
        let senderAddress = form["sender_address"].flatMap { $0.isEmpty ? nil : $0.trimmingCharacters(in: .whitespaces) }
        let senderName = form["sender_name"].flatMap { $0.isEmpty ? nil : $0.trimmingCharacters(in: .whitespaces) }
        // Header values: the mail library refuses line breaks too, but such settings are not even stored.
        guard senderAddress.map({ (try? MailAddress(address: $0)) != nil }) ?? true else {
            return try await page(context: context, message: (.error, "admin.mail_bad_sender"))
        }
        guard !(senderName ?? "").contains(where: { $0.isNewline }), !UserService.containsControlCharacters(senderName ?? "") else {
            return try await page(context: context, message: (.error, "admin.mail_bad_sender_name"))
        }
        var settings = SMTPSettings(
            host: host,
            port: port,
            security: security,
            username: username,
            caFile: caFile,
            allowPlaintextAuth: form["allow_plaintext_auth"] != nil
        )
        settings.senderAddress = senderAddress
        settings.senderName = senderName
        let password = form["password"].flatMap { $0.isEmpty ? nil : $0 }
        try await mailSettings.save(settings, password: password, by: context.session.user, clientAddress: context.clientAddress)
        return Redirect.response(to: "/admin/mail?saved=1")
    }

    func sendTest(_ request: Request, context: AdminContext) async throws -> Response {
        let recipient = context.web.form["recipient"].flatMap { $0.isEmpty ? nil : $0 } ?? context.session.user.email
        do {
            let reply = try await mailSettings.sendTestMail(to: recipient)
            return try await page(
                context: context,
                message: (.success, renderer.localizer.text("admin.mail_test_sent", context.web.language) + " " + reply)
            )
        } catch {
            return try await page(
                context: context,
                message: (.error, renderer.localizer.text("admin.mail_test_failed", context.web.language) + " \(error)")
            )
        }
    }

    private func page(context: AdminContext, message: (Page.MessageKind, String)?) async throws -> Response {
        let settings = try await mailSettings.smtpSettings()
        let security = settings?.security ?? .starttls
        var page = Page(
            "admin-mail",
            title: "admin.mail_title",
            values: [
                "host": settings?.host ?? "", "port": settings?.port ?? 587, "username": settings?.username ?? "",
                "passwordSet": settings?.sealedPassword != nil, "caFile": settings?.caFile ?? "",
                "allowPlaintext": settings?.allowPlaintextAuth ?? false,
                "security_none": security == .none, "security_starttls": security == .starttls, "security_tls": security == .tls,
                "from": settings?.senderAddress ?? mailSettings.configuration.from,
                "fromName": settings?.senderName ?? mailSettings.configuration.fromName,
                "transport": try await mailSettings.transportSummary(),
                "adminEmail": context.session.user.email,
            ]
        )
        if let message { page = page.with(message.0, message.1) }
        return renderer.render(page, web: context.web, path: "/admin/mail")
    }
}
