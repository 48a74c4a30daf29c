import Foundation
import Hummingbird

/// The languages of the pages. English is the fallback.
enum Language: String, Sendable, CaseIterable {
    case en
    case ja

    static let cookieName = "sekisho_lang"

    var label: String {
        switch self {
        case .en: "English"
        case .ja: "日本語"
        }
    }

    /// `?lang=` first (the visible switch), then the cookie it sets, then Accept-Language.
    static func preferred(by request: Request) -> Language {
        if let query = request.uri.queryParameters["lang"].flatMap({ Language(rawValue: String($0)) }) {
            return query
        }
        if let cookie = request.cookies[cookieName].flatMap({ Language(rawValue: $0.value) }) {
            return cookie
        }
        return fromAcceptLanguage(request.headers[.acceptLanguage] ?? "")
    }

    /// The supported language with the highest q-value; ties keep the header's order.
    static func fromAcceptLanguage(_ header: String) -> Language {
        var best: (language: Language, quality: Double)?
        for item in header.split(separator: ",") {
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let tag = parts.first?.lowercased() else { continue }
            let primary = tag.split(separator: "-").first.map(String.init) ?? tag
            guard let language = Language(rawValue: primary) else { continue }
            let quality = parts.dropFirst().compactMap { $0.hasPrefix("q=") ? Double($0.dropFirst(2)) : nil }.first ?? 1
            if quality > 0, quality > (best?.quality ?? -1) {
                best = (language, quality)
            }
        }
        return best?.language ?? .en
    }
}
