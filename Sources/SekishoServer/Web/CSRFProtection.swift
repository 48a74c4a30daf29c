import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import SekishoCore

/// Cross-site request forgery protection: a random nonce in an HttpOnly cookie, and in every
/// form the HMAC of that nonce under a server key. A forged form cannot know the nonce; the
/// Origin check on POST is a second, independent line.
struct CSRFProtection: Sendable {
    static let cookieName = "sekisho_csrf"
    static let fieldName = "csrf"
    private let keyBytes: [UInt8]

    init(secretBox: SecretBox) {
        keyBytes = secretBox.subkey(purpose: "csrf").withUnsafeBytes { Array($0) }
    }

    func token(forNonce nonce: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array(nonce.utf8), using: SymmetricKey(data: keyBytes))
        return OpaqueToken.base64URLEncode(Array(mac))
    }

    /// The cookie that carries `nonce` to the browser.
    static func nonceCookie(_ nonce: String, secure: Bool) -> Cookie {
        Cookie(name: cookieName, value: nonce, path: "/", secure: secure, httpOnly: true, sameSite: .lax)
    }

    /// A fresh nonce for a page rendered in the same response as a new session: its cookie, and
    /// the `web` state whose forms carry the token for it.
    func renewed(_ web: WebState, secure: Bool) -> (web: WebState, cookie: Cookie) {
        let nonce = OpaqueToken.generate().value
        return (web.withCSRFToken(token(forNonce: nonce)), Self.nonceCookie(nonce, secure: secure))
    }

    func isValid(token: String?, nonce: String?) -> Bool {
        guard let token, let nonce, OpaqueToken.isWellFormed(nonce) else { return false }
        return ConstantTime.equals(Array(token.utf8), Array(self.token(forNonce: nonce).utf8))
    }

    /// A POST must come from our own pages.
    ///
    /// Browsers say where a request comes from in `Sec-Fetch-Site`; that is believed first,
    /// because with `Referrer-Policy: no-referrer` Chromium sends `Origin: null` even for a form
    /// of our own. Without it, a present Origin must be ours. The CSRF token is checked as well.
    static func isSameOrigin(_ request: Request, expectedOrigin: String?) -> Bool {
        switch request.headers[HTTPField.Name("Sec-Fetch-Site")!] {
        case "same-origin": return true
        case "same-site", "cross-site": return false
        default: break
        }
        guard let origin = request.headers[.origin] else { return true }
        let host = request.head.authority ?? ""
        let allowed = expectedOrigin.map { [$0] } ?? ["http://\(host)", "https://\(host)"]
        return allowed.contains(origin.lowercased())
    }
}
