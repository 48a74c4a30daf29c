import Foundation

/// The URL a user asked a protected app for, as the reverse proxy reported it.
struct OriginalURL: Sendable, Equatable {
    /// The whole URL, as it goes into `rd`.
    let text: String
    /// Lower case, without port or trailing dot.
    let host: String
    /// Percent-decoded, `.`/`..` segments and repeated slashes removed; nil when it cannot be
    /// decoded, so that no rule with a path can be satisfied by a strangely written one.
    let path: String?

    /// From `X-Original-URL` (nginx) or a URL put together from `X-Forwarded-*` (Traefik, Caddy).
    init?(_ text: String) {
        guard text.utf8.count <= 4096, !text.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value >= 0x7F || $0 == "\\" }),
            let components = URLComponents(string: text),
            let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
            components.user == nil, components.password == nil,
            var host = components.host?.lowercased(), !host.isEmpty
        else { return nil }
        if host.hasSuffix(".") { host.removeLast() }
        self.text = text
        self.host = host
        self.path = Self.normalize(components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath)
    }

    /// Traefik and Caddy send the pieces: `X-Forwarded-Proto`, `-Host` and `-Uri` (path and query).
    init?(proto: String?, host: String?, uri: String?) {
        guard let proto = proto?.lowercased(), proto == "http" || proto == "https", let host, !host.isEmpty,
            !host.contains(where: { $0 == "/" || $0 == "@" || $0 == "," || $0 == "?" || $0 == "#" })
        else { return nil }
        let uri = uri ?? "/"
        guard uri.hasPrefix("/"), !uri.hasPrefix("//") else { return nil }
        self.init("\(proto)://\(host)\(uri)")
    }

    /// The path as an app behind the proxy would most likely see it.
    static func normalize(_ encodedPath: String) -> String? {
        guard let decoded = encodedPath.removingPercentEncoding, decoded.hasPrefix("/"),
            !decoded.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F || $0 == "\\" })
        else { return nil }
        var segments: [Substring] = []
        for segment in decoded.split(separator: "/", omittingEmptySubsequences: true) {
            switch segment {
            case ".": continue
            case "..": _ = segments.popLast()
            default: segments.append(segment)
            }
        }
        return "/" + segments.joined(separator: "/")
    }
}
