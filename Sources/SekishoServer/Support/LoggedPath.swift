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

    /// `target` (a path with or without a query) with each secret segment replaced by `…`.
    static func redacting(_ target: String) -> String {
        let queryStart = target.firstIndex(of: "?") ?? target.endIndex
        let path = target[..<queryStart]
        for prefix in secretPrefixes where path.lowercased().hasPrefix(prefix) {
            let rest = path.dropFirst(prefix.count)
            // Only the token segment goes; what follows it (none today) stays readable.
            let tail = rest.firstIndex(of: "/").map { String(rest[$0...]) } ?? ""
            return "\(path.prefix(prefix.count))…\(tail)\(target[queryStart...])"
        }
        return target
    }
}
