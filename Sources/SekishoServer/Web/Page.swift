import HTTPTypes

/// A page to render: a template, its title, its values and at most one message.
struct Page {
    enum MessageKind: String {
        case error
        case notice
        case success
    }

    var template: String
    /// Translation key of the title.
    var title: String
    var values: [String: Any] = [:]
    var message: (kind: MessageKind, key: String)?
    var status: HTTPResponse.Status = .ok
    /// Set by a route whose `values` are the same for every visitor (the plain login page): the
    /// renderer may then reuse the page it rendered for the language, with only the CSRF token new.
    var sameForEveryone = false
    /// Names what else the shared page depends on (a setting it shows), so that a change renders it anew.
    var sharedVariant = ""

    init(_ template: String, title: String, values: [String: Any] = [:], status: HTTPResponse.Status = .ok) {
        self.template = template
        self.title = title
        self.values = values
        self.status = status
    }

    func sharable(variant: String = "") -> Page {
        var page = self
        page.sameForEveryone = true
        page.sharedVariant = variant
        return page
    }

    func with(_ kind: MessageKind, _ key: String) -> Page {
        var page = self
        page.message = (kind, key)
        return page
    }
}
