import Foundation

/// A checked RP-initiated logout request.
struct OIDCLogout: Sendable {
    /// The client that asked, when it said so (`client_id` or the `id_token_hint`'s audience).
    let clientID: String?
    /// Where to go afterwards: one of the client's registered post-logout URIs, or nil (login page).
    let redirectURI: String?
    let state: String?
    /// The `id_token_hint` was ours and names the signed-in user: no need to ask.
    let confirmed: Bool
    /// The parameters to carry through the confirmation form.
    let parameters: [(String, String)]
}
