import Foundation
import JWTKit

/// The claims of an ID token (OIDC Core §2, §5.1); absent optional claims are left out.
struct IDTokenClaims: JWTPayload, Equatable {
    var iss: String
    var sub: String
    var aud: String
    var azp: String
    var exp: Int
    var iat: Int
    var auth_time: Int
    var nonce: String?
    var amr: [String]
    var acr: String
    var at_hash: String?
    var preferred_username: String?
    var name: String?
    var email: String?
    var email_verified: Bool?
    var groups: [String]?

    /// Only what every signature check needs; the caller decides whether expiry matters
    /// (an `id_token_hint` at logout may have expired).
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}
