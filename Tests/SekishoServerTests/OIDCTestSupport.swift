import Foundation
import HTTPTypes
import HummingbirdTesting
import JWTKit
import NIOCore
import SekishoCore
import SekishoStore

@testable import SekishoServer

/// A relying party as the router tests play it: registers itself, sends the browser to
/// `/oidc/authorize`, and calls the back-channel endpoints.
struct TestRelyingParty {
    static let redirectURI = "https://app.example/callback"
    let clientID: String
    let secret: String?

    /// Real private keys made once per test process: an RSA key costs seconds of CPU in a debug
    /// build, and every test here would make its own while the SNTP tests measure time.
    static let privateKeys: [(OIDCClient.SigningAlgorithm, String)] = OIDCClient.SigningAlgorithm.allCases.map { algorithm in
        // Generating a key from the system's random source does not fail.
        (algorithm, try! OIDCKeyRing.newPrivateKeyPEM(algorithm))
    }

    /// Stores this process's keys, sealed for this environment, as the first start would.
    static func seedSigningKeys(_ environment: TestEnvironment) async throws {
        for (algorithm, pem) in privateKeys {
            let key = try OIDCKeyRing.sealed(pem, algorithm, box: environment.dependencies.secretBox, at: environment.clock.now())
            _ = try await environment.store.addOIDCSigningKeyIfNone(key, effects: .none)
        }
    }

    static func register(
        _ environment: TestEnvironment,
        id: String = "app",
        isPublic: Bool = false,
        algorithm: OIDCClient.SigningAlgorithm = .rs256,
        skipConsent: Bool = true,
        policy: OIDCClient.AccessPolicy = .everyone,
        users: [String] = []
    ) async throws -> TestRelyingParty {
        var request = OIDCClientRegistration.Request(clientID: id, name: "Test App", redirectURIs: [redirectURI])
        request.postLogoutRedirectURIs = ["https://app.example/bye"]
        request.isPublic = isPublic
        request.signingAlgorithm = algorithm
        request.skipConsent = skipConsent
        request.accessPolicy = policy
        request.allowedUsernames = users
        try await seedSigningKeys(environment)
        let (_, secret) = try await OIDCClientRegistration(store: environment.store, clock: environment.clock).add(request, actor: .console("test"))
        return TestRelyingParty(clientID: id, secret: secret)
    }

    /// A PKCE verifier and its S256 challenge.
    static func pkce() -> (verifier: String, challenge: String) {
        let verifier = OpaqueToken.generate().value + "-verifier"
        return (verifier, OIDCService.challenge(ofVerifier: verifier))
    }

    func authorizeURL(challenge: String?, scope: String = "openid profile email groups offline_access", extra: [(String, String)] = []) -> String {
        var parameters = [
            ("response_type", "code"), ("client_id", clientID), ("redirect_uri", Self.redirectURI), ("scope", scope), ("state", "st-1"),
            ("nonce", "n-1"),
        ]
        if let challenge { parameters += [("code_challenge", challenge), ("code_challenge_method", "S256")] }
        return "/oidc/authorize?" + OIDCAuthorizationRoutes.query(parameters + extra)
    }

    /// A back-channel POST with this client's credentials (Basic unless `basic` is false).
    func post(
        _ client: any TestClientProtocol,
        _ path: String,
        _ fields: [(String, String)],
        basic: Bool = true,
        secret: String? = nil
    )
        async throws -> TestResponse
    {
        var fields = fields
        var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        let secret = secret ?? self.secret
        if let secret, basic {
            let credentials = Data("\(QueryEncoding.encode(clientID)):\(QueryEncoding.encode(secret))".utf8).base64EncodedString()
            headers[.authorization] = "Basic \(credentials)"
        } else {
            fields.append(("client_id", clientID))
            if let secret { fields.append(("client_secret", secret)) }
        }
        let body = OIDCAuthorizationRoutes.query(fields)
        return try await client.executeRequest(uri: path, method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    func exchange(_ client: any TestClientProtocol, code: String, verifier: String?) async throws -> TestResponse {
        var fields = [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", Self.redirectURI)]
        if let verifier { fields.append(("code_verifier", verifier)) }
        return try await post(client, "/oidc/token", fields)
    }
}

/// The query parameters of a redirect's Location.
func redirectParameters(_ response: TestResponse) -> [String: String] {
    guard let location = response.headers[.location], let components = URLComponents(string: location) else { return [:] }
    return Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { first, _ in first })
}

func json(_ response: TestResponse) throws -> [String: Any] {
    try JSONSerialization.jsonObject(with: Data(response.text.utf8)) as? [String: Any] ?? [:]
}

/// Checks an ID token's signature against the published JWKS, as a relying party does.
func verifiedIDToken(_ token: String, client: any TestClientProtocol) async throws -> IDTokenClaims {
    let jwks = try await client.executeRequest(uri: "/oidc/jwks", method: .get, headers: [:], body: nil)
    let keys = JWTKeyCollection()
    try await keys.add(jwksJSON: jwks.text)
    return try await keys.verify(token, as: IDTokenClaims.self)
}

/// The header of a compact JWS, decoded.
func jwsHeader(_ token: String) throws -> [String: Any] {
    var part = String(token.split(separator: ".")[0]).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
    while part.count % 4 != 0 { part += "=" }
    return try JSONSerialization.jsonObject(with: Data(base64Encoded: part) ?? Data()) as? [String: Any] ?? [:]
}
