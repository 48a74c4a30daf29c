import Foundation
import JWTKit
import SekishoStore
import Testing

@testable import SekishoServer

/// The OpenID provider on two `sekisho serve` processes sharing one PostgreSQL database, as
/// behind a load balancer: any step of a flow can go to either instance.
@Suite struct OIDCInstancesTests {
    @Test func authorizeOnOneExchangeOnTheOtherAndRefreshOnTheFirst() async throws {
        try await PostgresInstances.with(users: ["alice"]) { instances in
            var registration = OIDCClientRegistration.Request(clientID: "app", name: "App", redirectURIs: [TestRelyingParty.redirectURI])
            registration.skipConsent = true
            let secret = try await instances.withStore { store in
                try #require(
                    try await OIDCClientRegistration(store: store, clock: SystemWallClock()).add(registration, actor: .console("test")).secret
                )
            }
            var browser = RawHTTPClient()
            _ = try await instances.signInAndEnroll("alice", at: instances.a, &browser)
            let party = TestRelyingParty(clientID: "app", secret: secret)
            let pkce = TestRelyingParty.pkce()
            let authorized = try await browser.send(
                port: instances.a.port,
                "GET",
                party.authorizeURL(challenge: pkce.challenge),
                host: instances.publicHost
            )
            let location = try #require(authorized.header("Location"))
            let code = try #require(URLComponents(string: location)?.queryItems?.first { $0.name == "code" }?.value)

            let basic = [("Authorization", "Basic " + Data("app:\(secret)".utf8).base64EncodedString())]
            let exchange = [
                ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", TestRelyingParty.redirectURI),
                ("code_verifier", pkce.verifier),
            ]
            var backChannel = RawHTTPClient()
            let exchanged = try await backChannel.send(
                port: instances.b.port,
                "POST",
                "/oidc/token",
                host: instances.publicHost,
                headers: basic,
                form: exchange
            )
            #expect(exchanged.status == 200, "\(exchanged.body)\n\(instances.logs)")
            let tokens = try JSONSerialization.jsonObject(with: Data(exchanged.body.utf8)) as? [String: Any] ?? [:]
            // Signed on b, checked against a's key set: the instances share their keys.
            let jwks = try await backChannel.send(port: instances.a.port, "GET", "/oidc/jwks", host: instances.publicHost)
            let keys = JWTKeyCollection()
            try await keys.add(jwksJSON: jwks.body)
            let claims = try await keys.verify(try #require(tokens["id_token"] as? String), as: IDTokenClaims.self)
            #expect(claims.preferred_username == "alice" && claims.amr == ["pwd", "otp", "mfa"])

            let refreshed = try await backChannel.send(
                port: instances.a.port,
                "POST",
                "/oidc/token",
                host: instances.publicHost,
                headers: basic,
                form: [("grant_type", "refresh_token"), ("refresh_token", try #require(tokens["refresh_token"] as? String))]
            )
            #expect(refreshed.status == 200)
            // The code, spent on b, is refused on a.
            let again = try await backChannel.send(
                port: instances.a.port,
                "POST",
                "/oidc/token",
                host: instances.publicHost,
                headers: basic,
                form: exchange
            )
            #expect(again.status == 400 && again.body.contains("invalid_grant"))
        }
    }
}
