import Foundation
import SekishoStore

/// An authorization request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1) whose client and redirect URI
/// are known to be good: from here on, refusals go back to the client's redirect URI.
struct OIDCAuthorizationRequest: Sendable {
    enum ResponseMode: String, Sendable {
        case query
        case formPost = "form_post"
    }

    enum Prompt: String, Sendable {
        case none
        case login
        case consent
    }

    let client: OIDCClient
    let redirectURI: String
    let state: String?
    let responseMode: ResponseMode
    /// The scopes granted: those asked for that the client may have; always with `openid`.
    let scopes: [String]
    let nonce: String?
    let codeChallenge: String?
    let prompts: Set<Prompt>
    let maxAge: Int?
    let loginHint: String?
    /// Set by Sekisho when it sends the person to sign in again (prompt=login, max_age): a sign-in
    /// older than this does not count. The person could remove it, as they could remove the
    /// prompt itself; the client checks `auth_time` if it must be sure.
    let signedInAfter: Date?

    var scope: String { scopes.joined(separator: " ") }

    /// The query parameters that make this request again (after the sign-in, on the consent form).
    func parameters(signedInAfter marker: Date?) -> [(String, String)] {
        var parameters: [(String, String)] = [
            ("client_id", client.clientID), ("redirect_uri", redirectURI), ("response_type", "code"), ("scope", scope),
            ("response_mode", responseMode.rawValue),
        ]
        if let state { parameters.append(("state", state)) }
        if let nonce { parameters.append(("nonce", nonce)) }
        if let codeChallenge { parameters += [("code_challenge", codeChallenge), ("code_challenge_method", "S256")] }
        let kept = prompts.subtracting([.login]).map(\.rawValue).sorted()
        if !kept.isEmpty { parameters.append(("prompt", kept.joined(separator: " "))) }
        if let loginHint { parameters.append(("login_hint", loginHint)) }
        if let marker { parameters.append((OIDCAuthorizationRequest.signedInAfterParameter, String(Int(marker.timeIntervalSince1970)))) }
        return parameters
    }

    static let signedInAfterParameter = "sekisho_signed_in_after"
}
