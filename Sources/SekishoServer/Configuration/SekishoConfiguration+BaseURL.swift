import Foundation

extension SekishoConfiguration {
    /// Where people and clients reach Sekisho, without a trailing slash: `server.public_url`, else
    /// the listening address. The setup link starts with it, and it is the OpenID provider's issuer.
    var baseURL: String {
        if let url = server.publicURL?.absoluteString {
            return url.hasSuffix("/") ? String(url.dropLast()) : url
        }
        return "http://\(server.host == "0.0.0.0" ? "127.0.0.1" : server.host):\(server.port)"
    }
}
