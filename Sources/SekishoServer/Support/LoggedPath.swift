/// A request target as it may appear in a log: the secret segment of a one-time link replaced.
///
/// Reset and setup links carry their token in the path (`/reset/<token>`, `/setup/<token>`);
/// whoever reads the log could otherwise use a link before its owner does.
///
/// ```swift
/// LoggedPath.redacting("/reset/Zk3…?lang=ja")  // "/reset/…?lang=ja"
/// ```
enum LoggedPath {
    /// Path prefixes whose next segment is a secret.
    static let secretPrefixes = ["/reset/", "/setup/"]
    /// Paths whose query carries a secret: RP-initiated logout's `id_token_hint` (a signed token
    /// with the person's claims).
    static let secretQueries = ["/oidc/end_session"]

    /// `target` (a path with or without a query) with each secret segment replaced by `…`.
    static func redacting(_ target: String) -> String {
        let queryStart = target.firstIndex(of: "?") ?? target.endIndex
        let path = target[..<queryStart]
        if queryStart < target.endIndex, secretQueries.contains(path.lowercased()) {
            return "\(path)?…"
        }
        for prefix in secretPrefixes where path.lowercased().hasPrefix(prefix) {
            let rest = path.dropFirst(prefix.count)
            // Only the token segment goes; what follows it (none today) stays readable.
            let tail = rest.firstIndex(of: "/").map { String(rest[$0...]) } ?? ""
            return "\(path.prefix(prefix.count))…\(tail)\(target[queryStart...])"
        }
        return target
    }
}
