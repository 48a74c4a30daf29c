/// One line of `forward_auth.rules`: `host-pattern path-prefix policy`, e.g. `*.example.com /public bypass`.
///
/// - host pattern: `*` (any host), `*.example.com` (any sub-domain of example.com, not example.com
///   itself) or an exact host name; compared without port and case.
/// - path prefix: starts with `/`; matches that path and everything below it (`/public` matches
///   `/public` and `/public/a`, not `/publicity`); `/` matches every path. Compared after
///   percent-decoding and removing `.`/`..` segments, case-sensitively.
/// - policy: `bypass` (no sign-in needed), `signed_in` (any fully signed-in user) or `admin`
///   (only administrators; other signed-in users get 403).
///
/// The first matching rule wins; a request no rule matches needs `signed_in`.
public struct ForwardAuthRule: Sendable, Equatable, CustomStringConvertible {
    /// What a matching request needs. Ordered from the most lenient to the strictest.
    public enum Policy: String, Sendable, Comparable, CaseIterable {
        case bypass
        case signedIn = "signed_in"
        case admin

        public static func < (lhs: Policy, rhs: Policy) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }
    }

    /// Lower case: `*`, `*.example.com` or `app.example.com`.
    public let hostPattern: String
    public let pathPrefix: String
    public let policy: Policy

    /// Parses one rule; the error names `forward_auth.rules` and the rule.
    public init(_ text: String) throws(ConfigurationError) {
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        func refuse(_ why: String) -> ConfigurationError {
            ConfigurationError(
                key: "forward_auth.rules",
                "'\(text)': \(why); expected 'host-pattern path-prefix policy', e.g. '*.example.com /public bypass'"
            )
        }
        guard fields.count == 3 else { throw refuse("expected three words") }
        let host = fields[0].lowercased()
        let name = host.hasPrefix("*.") ? String(host.dropFirst(2)) : host
        guard host == "*" || Self.isHostName(name) else { throw refuse("'\(fields[0])' is not *, *.domain or a host name") }
        guard fields[1].hasPrefix("/") else { throw refuse("the path prefix must start with /") }
        guard let policy = Policy(rawValue: fields[2].lowercased()) else { throw refuse("the policy must be bypass, signed_in or admin") }
        hostPattern = host
        // "/public/" and "/public" mean the same: the folder and everything in it.
        pathPrefix = fields[1].count > 1 && fields[1].hasSuffix("/") ? String(fields[1].dropLast()) : fields[1]
        self.policy = policy
    }

    /// Whether the rule applies to `host` (lower case, no port) and `path` (normalised, no query).
    public func matches(host: String, path: String) -> Bool {
        matchesHost(host) && matchesPath(path)
    }

    func matchesHost(_ host: String) -> Bool {
        if hostPattern == "*" { return true }
        if hostPattern.hasPrefix("*.") { return host.hasSuffix(hostPattern.dropFirst()) && host.count > hostPattern.count - 1 }
        return host == hostPattern
    }

    func matchesPath(_ path: String) -> Bool {
        if pathPrefix == "/" { return true }
        return path == pathPrefix || path.hasPrefix(pathPrefix + "/")
    }

    public var description: String { "\(hostPattern) \(pathPrefix) \(policy.rawValue)" }

    /// Letters, digits, hyphens and dots, in labels that are not empty.
    static func isHostName(_ text: String) -> Bool {
        guard !text.isEmpty, text.count <= 253 else { return false }
        return text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            !label.isEmpty && label.count <= 63 && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
    }
}
