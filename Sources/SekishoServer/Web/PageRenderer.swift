import Foundation
import Hummingbird
import Mustache
import NIOCore
import SekishoStore

/// Renders pages from the Mustache templates in `Public/templates` with the strings of the
/// request's language. Mustache escapes every value, so user input cannot become markup.
struct PageRenderer: Sendable {
    let library: MustacheLibrary
    let localizer: Localizer
    /// Per language, the strings as templates see them (`login.title` as `login_title`); built
    /// once, because rebuilding them per page was most of the cost of rendering.
    private let templateStrings: [Language: [String: String]]

    init(library: MustacheLibrary, localizer: Localizer) {
        self.library = library
        self.localizer = localizer
        templateStrings = Dictionary(
            uniqueKeysWithValues: Language.allCases.map { language in
                let table = localizer.table(for: language)
                return (language, Dictionary(uniqueKeysWithValues: table.map { ($0.key.replacingOccurrences(of: ".", with: "_"), $0.value) }))
            }
        )
    }

    static func load(publicDirectory: String) async throws -> PageRenderer {
        let library: MustacheLibrary
        do {
            library = try await MustacheLibrary(directory: "\(publicDirectory)/templates")
        } catch {
            throw StartupError("cannot load page templates from \(publicDirectory)/templates: \(error)")
        }
        return PageRenderer(library: library, localizer: try Localizer(directory: "\(publicDirectory)/locales"))
    }

    func render(_ page: Page, web: WebState, path: String) -> Response {
        let strings = templateStrings[web.language] ?? [:]
        var values = page.values
        // Mustache reads dots as nesting, so templates see `login.title` as `t.login_title`.
        values["t"] = strings
        values["lang"] = web.language.rawValue
        values["title"] = localizer.text(page.title, web.language)
        values["csrf"] = web.csrfToken
        values["languages"] = Language.allCases.map { language in
            ["code": language.rawValue, "label": language.label, "href": "\(path)?lang=\(language.rawValue)", "current": language == web.language]
        }
        if let session = web.session, session.isSignedIn {
            values["signedIn"] = true
            values["currentUser"] = ["username": session.user.username, "displayName": session.user.displayName]
            values["isAdmin"] = session.user.role == .admin
        }
        if let message = page.message {
            values[message.kind.rawValue] = localizer.text(message.key, web.language)
        }
        guard let html = library.render(values, withTemplate: page.template) else {
            return Response(
                status: .internalServerError,
                headers: [.contentType: "text/plain; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: "missing template \(page.template)\n"))
            )
        }
        return Response(status: page.status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}
