import Foundation

/// Where to go after signing in (`rd`), so that a link cannot turn the login page into an open
/// redirect: a path on this server, or an absolute http(s) URL whose host is one of
/// `forward_auth.allowed_domains` or a sub-domain of one (the apps that forward auth protects).
struct ReturnPath: Sendable {
    /// Lower case, without leading `*.` or `.`.
    let allowedDomains: [String]

    init(allowedDomains: [String]) {
        self.allowedDomains = allowedDomains.map { domain in
            var domain = domain.lowercased()
            if domain.hasPrefix("*.") { domain.removeFirst(2) }
            while domain.hasPrefix(".") { domain.removeFirst() }
            return domain
        }.filter { !$0.isEmpty }
    }

    /// `value` if it may be followed, else nil (the caller goes to the dashboard).
    func sanitize(_ value: String?) -> String? {
        guard let value = Self.sanitizePath(value) ?? absolute(value) else { return nil }
        return value
    }

    /// A query string carrying `rd` to the next step, or "".
    func query(_ value: String?) -> String {
        guard let value = sanitize(value) else { return "" }
        return "?rd=" + (value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
    }

    /// Whether `host` (lower case) is an allowed domain or below one: `app.example.com` is below
    /// `example.com`; `badexample.com` and `example.com.evil.net` are not.
    func isAllowed(host: String) -> Bool {
        allowedDomains.contains { host == $0 || host.hasSuffix("." + $0) }
    }

    /// Sources to add to the CSP `form-action` of the sign-in pages: browsers check the redirect
    /// that answers a form POST against `form-action`, so with only `'self'` the return to an
    /// allowed domain after the code page would be blocked. Empty without allowed domains.
    var formActionSources: String {
        allowedDomains.flatMap { domain in
            ["http", "https"].flatMap { scheme in ["\(scheme)://\(domain):*", "\(scheme)://*.\(domain):*"] }
        }.joined(separator: " ")
    }

    private func absolute(_ value: String?) -> String? {
        // Only plain printable ASCII: no spaces, no backslashes (browsers read `\` as `/`).
        guard !allowedDomains.isEmpty, let value, value.utf8.count <= 2048,
            !value.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value >= 0x7F || $0 == "\\" }),
            let components = URLComponents(string: value),
            let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
            // `https://allowed.example.com@evil.net/` must not pass on its user part.
            components.user == nil, components.password == nil,
            var host = components.host?.lowercased(), !host.isEmpty,
            // The host must follow `//` directly: `https:evil.net` or `https:/evil.net` are read differently by browsers.
            value.lowercased().hasPrefix(scheme + "://" + host)
        else { return nil }
        if host.hasSuffix(".") { host.removeLast() }
        return isAllowed(host: host) ? value : nil
    }

    /// A path on this server, or nil. Used alone where no configuration is at hand.
    static func sanitizePath(_ value: String?) -> String? {
        guard let value, value.hasPrefix("/"), !value.hasPrefix("//"), !value.contains("\\"), value.count <= 2048 else { return nil }
        guard !value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return nil }
        return value
    }
}
