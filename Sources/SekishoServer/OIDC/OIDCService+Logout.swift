import Foundation
import Hummingbird
import SekishoCore
import SekishoStore

extension OIDCService {
    /// Checks an end-session request: the post-logout URI must be registered for the client named
    /// by `client_id` or by the `id_token_hint` (compared exactly); anything else is a 400 page,
    /// never a redirect.
    func validateLogout(_ parameters: [String: String], session: ActiveSession?) async throws -> OIDCLogout {
        var clientID = parameters["client_id"]
        var hintSubject: String?
        if let hint = parameters["id_token_hint"], !hint.isEmpty {
            // Our own signature is what matters; an expired ID token is the usual hint.
            guard let claims = try? await keys.verify(hint, as: IDTokenClaims.self), claims.iss == issuer else {
                metrics.oidcRefusal("bad_id_token_hint")
                throw PageRefusal(status: .badRequest, messageKey: "oidc.error.bad_id_token_hint", logMessage: "end_session: id_token_hint not ours")
            }
            if let clientID, clientID != claims.aud {
                throw PageRefusal(
                    status: .badRequest,
                    messageKey: "oidc.error.bad_id_token_hint",
                    logMessage: "end_session: client_id differs from the hint"
                )
            }
            clientID = claims.aud
            hintSubject = claims.sub
        }
        var redirectURI: String?
        if let target = parameters["post_logout_redirect_uri"] {
            guard let clientID, let client = try await store.oidcClient(id: clientID), client.postLogoutRedirectURIs.contains(target) else {
                metrics.oidcRefusal("unregistered_post_logout_redirect_uri")
                throw PageRefusal(
                    status: .badRequest,
                    messageKey: "oidc.error.unregistered_post_logout_redirect_uri",
                    logMessage: "end_session: post_logout_redirect_uri not registered"
                )
            }
            redirectURI = target
        }
        var confirmed = false
        if let hintSubject, let session, session.isSignedIn {
            confirmed = try await subject(of: session.user) == hintSubject
        }
        let kept = ["id_token_hint", "client_id", "post_logout_redirect_uri", "state"].compactMap { name in parameters[name].map { (name, $0) } }
        return OIDCLogout(clientID: clientID, redirectURI: redirectURI, state: parameters["state"], confirmed: confirmed, parameters: kept)
    }
}
