import Foundation
import Hummingbird
import Mustache
import NIOCore
import SekishoStore
import Synchronization

/// Renders pages from the Mustache templates in `Public/templates` with the strings of the
/// request's language. Mustache escapes every value, so user input cannot become markup.
///
/// The interface strings (`{{t.login_title}}` for `login.title`) are written into the templates
/// once per language at start-up, already HTML-escaped: looking each one up through Mustache's
/// dynamic context on every render was most of the cost of a page. A template naming a string
/// that does not exist stops start-up instead of rendering a blank.
struct PageRenderer: Sendable {
    let localizer: Localizer
    private let libraries: [Language: MustacheLibrary]
    private let sharedPages = SharedPages()

    init(templates: [String: String], localizer: Localizer) throws {
        self.localizer = localizer
        var libraries: [Language: MustacheLibrary] = [:]
        for language in Language.allCases {
            let strings = Dictionary(
                uniqueKeysWithValues: localizer.table(for: language).map { ($0.key.replacingOccurrences(of: ".", with: "_"), $0.value) }
            )
            var library = MustacheLibrary()
            for (name, text) in templates {
                let localized = try Self.insertStrings(strings, into: text, template: name, language: language)
                do {
                    try library.register(localized, named: name)
                } catch {
                    throw StartupError("page template \(name) (\(language.rawValue)) does not parse: \(error)")
                }
            }
            libraries[language] = library
        }
        self.libraries = libraries
    }

    static func load(publicDirectory: String) async throws -> PageRenderer {
        let directory = "\(publicDirectory)/templates"
        var templates: [String: String] = [:]
        do {
            for file in try FileManager.default.contentsOfDirectory(atPath: directory) where file.hasSuffix(".mustache") {
                templates[String(file.dropLast(".mustache".count))] = try String(contentsOfFile: "\(directory)/\(file)", encoding: .utf8)
            }
        } catch {
            throw StartupError("cannot load page templates from \(directory): \(error)")
        }
        return try PageRenderer(templates: templates, localizer: try Localizer(directory: "\(publicDirectory)/locales"))
    }

    /// `text` with every `{{t.key}}` replaced by the escaped string of `key`.
    static func insertStrings(_ strings: [String: String], into text: String, template: String, language: Language) throws -> String {
        var missing: [String] = []
        let result = text.replacing(/\{\{t\.([A-Za-z0-9_]+)\}\}/) { match in
            let key = String(match.output.1)
            guard let value = strings[key] else {
                missing.append(key)
                return ""
            }
            return htmlEscaped(value)
        }
        guard missing.isEmpty else {
            throw StartupError(
                "page template \(template) uses strings missing from locales/\(language.rawValue).json: \(missing.joined(separator: ", "))"
            )
        }
        return result
    }

    /// The language switch of every page, written here rather than as a Mustache section: looking
    /// up its values through Mustache's dynamic context was a tenth of a page's cost. `path` can
    /// come from the request, so it is escaped like any value.
    static func languageLinks(path: String, current: Language) -> String {
        let href = htmlEscaped(path)
        var html = ""
        for language in Language.allCases {
            let code = language.rawValue
            html += #"<a class="lang-switch" href="\#(href)?lang=\#(code)" hreflang="\#(code)" lang="\#(code)""#
            html += language == current ? #" aria-current="true">"# : ">"
            html += htmlEscaped(language.label) + "</a>"
        }
        return html
    }

    /// Escaped as Mustache escapes values; a string with Mustache braces would become a tag.
    private static func htmlEscaped(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "&": escaped += "&amp;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            case "{": escaped += "&#123;"
            case "}": escaped += "&#125;"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    func render(_ page: Page, web: WebState, path: String) -> Response {
        guard let html = html(page, web: web, path: path) else {
            return Response(
                status: .internalServerError,
                headers: [.contentType: "text/plain; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: "missing template \(page.template)\n"))
            )
        }
        return Response(status: page.status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: html))
    }

    /// The page's HTML: rendered, or for a page that is the same for everyone (and a visitor who
    /// is not signed in: the page would name them) the one rendered earlier for the language with
    /// this request's CSRF token put in.
    func html(_ page: Page, web: WebState, path: String) -> ByteBuffer? {
        guard page.sameForEveryone, web.session?.isSignedIn != true else { return renderMustache(page, web: web, path: path).map(ByteBuffer.init) }
        let key =
            "\(page.template) \(web.language.rawValue) \(path) \(page.title) \(page.message.map { "\($0.kind) \($0.key)" } ?? "") \(page.sharedVariant)"
        let pieces =
            sharedPages.pieces(for: key)
            ?? sharedPages.store(SharedPages.split(renderMustache(page, web: web.withCSRFToken(SharedPages.marker), path: path)), for: key)
        guard let pieces else { return renderMustache(page, web: web, path: path).map(ByteBuffer.init) }
        var buffer = ByteBuffer()
        buffer.reserveCapacity(pieces.utf8Count + (pieces.texts.count - 1) * web.csrfToken.utf8.count)
        for (index, text) in pieces.texts.enumerated() {
            if index > 0 { buffer.writeString(web.csrfToken) }
            buffer.writeString(text)
        }
        return buffer
    }

    private func renderMustache(_ page: Page, web: WebState, path: String) -> String? {
        var values = page.values
        values["lang"] = web.language.rawValue
        values["title"] = localizer.text(page.title, web.language)
        values["csrf"] = web.csrfToken
        values["languageLinks"] = Self.languageLinks(path: path, current: web.language)
        if let session = web.session, session.isSignedIn {
            values["signedIn"] = true
            values["currentUser"] = ["username": session.user.username, "displayName": session.user.displayName]
            values["isAdmin"] = session.user.role == .admin
        }
        if let message = page.message {
            values[message.kind.rawValue] = localizer.text(message.key, web.language)
        }
        return libraries[web.language]?.render(values, withTemplate: page.template)
    }
}

/// Pages rendered once per language (and path, title, message and variant) for everyone, kept as
/// the texts between the places of the CSRF token (one per form). A handful of entries: only
/// routes that mark a page ``Page/sameForEveryone`` (with values that do not come from the
/// request) are kept.
final class SharedPages: Sendable {
    struct Pieces: Sendable {
        /// At least two: the token goes between each two.
        let texts: [String]
        let utf8Count: Int
    }

    /// Stands for the token while the page is rendered: no token or template text contains it.
    static let marker = "\u{1}csrf\u{1}"

    private let pages = Mutex<[String: Pieces]>([:])

    func pieces(for key: String) -> Pieces? { pages.withLock { $0[key] } }

    /// Keeps `pieces` (if any) under `key` and returns them.
    func store(_ pieces: Pieces?, for key: String) -> Pieces? {
        guard let pieces else { return nil }
        pages.withLock { $0[key] = pieces }
        return pieces
    }

    /// The page around the places its token goes; nil when the token is not there at all.
    static func split(_ html: String?) -> Pieces? {
        guard let html else { return nil }
        let parts = html.components(separatedBy: marker)
        guard parts.count >= 2 else { return nil }
        return Pieces(texts: parts, utf8Count: parts.reduce(0) { $0 + $1.utf8.count })
    }
}
