import Foundation
import Hummingbird
import SekishoStore

/// `/admin/audit`: who did what, to whom, when and from where; filtered by user and kind.
struct AdminAuditRoutes {
    static let pageSize = 50
    let reports: AdminReports
    let renderer: PageRenderer
    let operatorTime: OperatorTime

    func register(on group: RouterGroup<AdminContext>) {
        group.get("/admin/audit", use: show)
    }

    func show(_ request: Request, context: AdminContext) async throws -> Response {
        let username = request.uri.queryParameters["user"].map(String.init)?.trimmingCharacters(in: .whitespaces) ?? ""
        let kind = request.uri.queryParameters["kind"].map(String.init) ?? ""
        let page = max(1, request.uri.queryParameters["page"].flatMap { Int(String($0)) } ?? 1)
        let (events, actorNames) = try await reports.auditEvents(
            username: username.isEmpty ? nil : username,
            kind: kind.isEmpty ? nil : kind,
            limit: Self.pageSize + 1,
            offset: (page - 1) * Self.pageSize
        )
        let localizer = renderer.localizer
        let language = context.web.language
        let time = operatorTime
        let query = "&user=\(username.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")&kind=\(kind)"
        var values: [String: Any] = [
            "user": username,
            // The raw kind stays in the filter's values (and so in links and bookmarks); people read words.
            "kinds": AuditKind.allCases.map {
                ["name": $0.rawValue, "label": Self.label(of: $0.rawValue, localizer, language), "selected": $0.rawValue == kind]
            },
            "zone": time.zoneName(at: reports.clock.now()),
            "events": events.prefix(Self.pageSize).map { event in
                [
                    "at": time.text(event.at), "kind": event.kind, "kindLabel": Self.label(of: event.kind, localizer, language),
                    "username": event.username ?? "",
                    // Console actions have no acting account: say so, as the address column does.
                    "actor": event.actorUserID.map { actorNames[$0] ?? "#\($0)" } ?? (event.clientAddress == "console" ? "console" : ""),
                    "address": event.clientAddress ?? "", "detail": event.detail,
                ]
            },
        ]
        // Absent keys, not empty strings or nil: Mustache would render those as links.
        if page > 1 { values["previous"] = "/admin/audit?page=\(page - 1)\(query)" }
        if events.count > Self.pageSize { values["next"] = "/admin/audit?page=\(page + 1)\(query)" }
        return renderer.render(Page("admin-audit", title: "admin.audit_title", values: values), web: context.web, path: "/admin/audit")
    }

    /// The words for an event kind (`audit.kind.<kind>`); a kind without a translation (from a newer or older
    /// version) is shown as it is stored.
    static func label(of kind: String, _ localizer: Localizer, _ language: Language) -> String {
        let key = "audit.kind.\(kind)"
        let text = localizer.text(key, language)
        return text == key ? kind : text
    }
}
