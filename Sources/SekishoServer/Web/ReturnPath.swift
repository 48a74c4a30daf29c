import Foundation

/// Where to go after signing in (`rd`). Only paths on this server are followed for now, so a
/// link cannot turn the login page into an open redirect.
enum ReturnPath {
    static func sanitize(_ value: String?) -> String? {
        guard let value, value.hasPrefix("/"), !value.hasPrefix("//"), !value.contains("\\"), value.count <= 2048 else { return nil }
        guard !value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return nil }
        return value
    }

    /// A query string carrying `rd` to the next step, or "".
    static func query(_ value: String?) -> String {
        guard let value = sanitize(value) else { return "" }
        return "?rd=" + (value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
    }
}
