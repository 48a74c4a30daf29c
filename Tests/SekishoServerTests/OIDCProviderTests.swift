import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import SekishoCore
import SekishoStore
import Testing

@testable import SekishoServer

/// The OpenID provider through HTTP: discovery, the code flow through Sekisho's own sign-in,
/// the token endpoint's grants and refusals, userinfo, revocation, introspection and logout.
// One test at a time: each builds a server, and in parallel they starve the timing-sensitive SNTP
// and chrony tests that run beside them.
@Suite(.serialized) struct OIDCProviderTests {
    @Test func discoveryNamesTheEndpointsAndTheJWKSHasBothKeyTypesWithoutPrivateParts() async throws {
        try await TestEnvironment.with(overrides: ["server.public_url": "https://login.example"]) { environment in
            try await environment.application().test(.router) { client in
                let discovery = try json(
                    try await client.executeRequest(uri: "/.well-known/openid-configuration", method: .get, headers: [:], body: nil)
                )
                #expect(discovery["issuer"] as? String == "https://login.example")
                #expect(discovery["token_endpoint"] as? String == "https://login.example/oidc/token")
                #expect(discovery["id_token_signing_alg_values_supported"] as? [String] == ["RS256", "ES256"])
                #expect(discovery["code_challenge_methods_supported"] as? [String] == ["S256"])
                let jwks = try json(try await client.executeRequest(uri: "/oidc/jwks", method: .get, headers: [:], body: nil))
                let keys = try #require(jwks["keys"] as? [[String: String]])
                #expect(Set(keys.compactMap { $0["alg"] }) == ["RS256", "ES256"])
                #expect(keys.allSatisfy { $0["kid"] != nil && $0["d"] == nil && $0["p"] == nil && $0["use"] == "sig" })
            }
            // The private keys are stored sealed, never as PEM text.
            let sealed = try await environment.store.oidcSigningKeys(retiredAfter: TestEnvironment.start)
            #expect(sealed.count == 2)
            #expect(sealed.allSatisfy { !String(decoding: $0.sealedPrivateKey, as: UTF8.self).contains("PRIVATE KEY") })
        }
    }

    @Test(arguments: [OIDCClient.SigningAlgorithm.rs256, .es256])
    func theCodeFlowGoesThroughSignInAndTheSecondFactorAndItsIDTokenVerifiesAgainstTheJWKS(algorithm: OIDCClient.SigningAlgorithm) async throws {
        try await TestEnvironment.with { environment in
            let user = try await environment.createUser()
            let party = try await TestRelyingParty.register(environment, algorithm: algorithm)
            let pkce = TestRelyingParty.pkce()
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                // Not signed in: to the login page, with the way back.
                let first = try await browser.get(party.authorizeURL(challenge: pkce.challenge))
                let login = try #require(first.headers[.location])
                #expect(login.hasPrefix("/login?rd=%2Foidc%2Fauthorize"))
                // Its form may lead (through redirects) to the client's registered origin, and no other.
                let loginPage = try await browser.get(login)
                #expect(loginPage.headers[.contentSecurityPolicy]?.contains("form-action 'self' https://app.example;") == true)
                let elsewhere = login.replacingOccurrences(of: "app.example", with: "evil.example")
                #expect(try await browser.get(elsewhere).headers[.contentSecurityPolicy]?.contains("evil.example") == false)
                _ = try await environment.signInAndEnroll(&browser)
                let back = try #require(URLComponents(string: login)?.queryItems?.first { $0.name == "rd" }?.value)
                let answer = try await browser.get(back)
                #expect(answer.status == .found)
                #expect(answer.headers[.location]?.hasPrefix(TestRelyingParty.redirectURI + "?code=") == true)
                let parameters = redirectParameters(answer)
                #expect(parameters["state"] == "st-1")
                #expect(parameters["iss"] == "http://127.0.0.1:0")
                let code = try #require(parameters["code"])

                let tokens = try json(try await party.exchange(client, code: code, verifier: pkce.verifier))
                let idToken = try #require(tokens["id_token"] as? String)
                let accessToken = try #require(tokens["access_token"] as? String)
                #expect(tokens["token_type"] as? String == "Bearer")
                #expect(tokens["refresh_token"] is String)
                #expect(try jwsHeader(idToken)["alg"] as? String == algorithm.rawValue)
                let claims = try await verifiedIDToken(idToken, client: client)
                #expect(claims.iss == "http://127.0.0.1:0" && claims.aud == "app" && claims.nonce == "n-1")
                #expect(claims.amr == ["pwd", "otp", "mfa"] && claims.acr == "urn:sekisho:acr:2fa")
                #expect(claims.at_hash == OIDCService.atHash(accessToken))
                #expect(claims.preferred_username == "alice" && claims.email == "alice@example.com" && claims.groups == ["users"])
                // `sub` is the stored random subject, not the user's row id or name.
                let subject = try await environment.store.oidcSubject(userID: user.id, candidate: "unused", at: environment.clock.now())
                #expect(claims.sub == subject && claims.sub != "\(user.id)" && claims.sub.count == 43)

                let info = try json(
                    try await client.executeRequest(
                        uri: "/oidc/userinfo",
                        method: .get,
                        headers: [.authorization: "Bearer \(accessToken)"],
                        body: nil
                    )
                )
                #expect(info["sub"] as? String == subject)
                #expect(info["preferred_username"] as? String == "alice")
            }
        }
    }

    @Test func maxAgeAndPromptLoginAskForAFreshSignInWhoseTimeTheIDTokenCarries() async throws {
        try await TestEnvironment.with { environment in
            try await environment.createUser(twoFactor: false)
            let party = try await TestRelyingParty.register(environment)
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                try await browser.get("/login")
                try await browser.post("/login", [("username", "alice"), ("password", "correct horse battery")])
                environment.clock.advance(by: 600)
                let pkce = TestRelyingParty.pkce()
                let first = try await browser.get(party.authorizeURL(challenge: pkce.challenge, extra: [("max_age", "300")]))
                let login = try #require(first.headers[.location])
                #expect(login.hasPrefix("/login?rd=") && login.hasSuffix("&reauth=1"))
                // The login page shows its form although the session is signed in.
                let page = try await browser.get(login)
                #expect(page.status == .ok && page.text.contains(#"name="password""#))
                let rd = try #require(URLComponents(string: login)?.queryItems?.first { $0.name == "rd" }?.value)
                let posted = try await browser.post("/login", [("username", "alice"), ("password", "correct horse battery"), ("rd", rd)])
                #expect(posted.headers[.location] == rd)
                let code = try #require(redirectParameters(try await browser.get(rd))["code"])
                let idToken = try #require(try json(try await party.exchange(client, code: code, verifier: pkce.verifier))["id_token"] as? String)
                let claims = try await verifiedIDToken(idToken, client: client)
                #expect(claims.auth_time == Int(environment.clock.now().timeIntervalSince1970))
                // A sign-in young enough passes; prompt=login always asks again.
                #expect(
                    redirectParameters(try await browser.get(party.authorizeURL(challenge: pkce.challenge, extra: [("max_age", "300")])))["code"]
                        != nil
                )
                let again = try await browser.get(party.authorizeURL(challenge: pkce.challenge, extra: [("prompt", "login")]))
                #expect(again.headers[.location]?.hasSuffix("&reauth=1") == true)
            }
        }
    }

    @Test func anUnknownClientOrAnUnregisteredRedirectURIGetsAnErrorPageAndNoRedirect() async throws {
        try await TestEnvironment.with { environment in
            let party = try await TestRelyingParty.register(environment)
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                let pkce = TestRelyingParty.pkce()
                let unknown = try await browser.get(
                    party.authorizeURL(challenge: pkce.challenge).replacingOccurrences(of: "client_id=app", with: "client_id=nobody")
                )
                #expect(unknown.status == .badRequest)
                #expect(unknown.headers[.location] == nil)
                #expect(unknown.text.contains("not registered with Sekisho"))
                for wrong in [
                    "https://evil.example/callback", "https://app.example/callback/", "https://app.example/callback?x=1",
                    "https://APP.example/callback",
                ] {
                    let url = party.authorizeURL(challenge: pkce.challenge)
                        .replacingOccurrences(of: QueryEncoding.encode(TestRelyingParty.redirectURI), with: QueryEncoding.encode(wrong))
                    let response = try await browser.get(url)
                    #expect(response.status == .badRequest, "\(wrong)")
                    #expect(response.headers[.location] == nil, "\(wrong)")
                }
            }
        }
    }

    /// `login_hint` fills in the user ID on the sign-in page, escaped; nothing else changes.
    @Test func theLoginHintFillsInTheUserID() async throws {
        try await TestEnvironment.with { environment in
            let party = try await TestRelyingParty.register(environment)
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                let pkce = TestRelyingParty.pkce()
                let redirect = try await browser.get(party.authorizeURL(challenge: pkce.challenge, extra: [("login_hint", "alice\"><b>")]))
                let location = try #require(redirect.headers[.location])
                #expect(location.hasPrefix("/login?rd="))
                try await browser.get(location)
                #expect(browser.lastPage.contains(#"name="username" value="alice&quot;&gt;&lt;b&gt;""#))
                // Without a hint the field stays empty.
                let plain = try await browser.get(party.authorizeURL(challenge: pkce.challenge))
                try await browser.get(try #require(plain.headers[.location]))
                #expect(browser.lastPage.contains(#"name="username" value="""#))
            }
        }
    }

    @Test func refusalsAfterTheRedirectURIIsKnownGoBackToTheClientWithTheirRFCCodes() async throws {
        try await TestEnvironment.with { environment in
            let party = try await TestRelyingParty.register(environment)
            try await environment.createUser("bob", twoFactor: false)
            let restricted = try await TestRelyingParty.register(environment, id: "admins-only", policy: .admins)
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                let pkce = TestRelyingParty.pkce()
                // prompt=none without a session.
                let none = try await browser.get(party.authorizeURL(challenge: pkce.challenge, extra: [("prompt", "none")]))
                #expect(redirectParameters(none)["error"] == "login_required")
                #expect(redirectParameters(none)["state"] == "st-1")
                // PKCE is required by default; only S256.
                #expect(redirectParameters(try await browser.get(party.authorizeURL(challenge: nil)))["error"] == "invalid_request")
                let plain = party.authorizeURL(challenge: nil, extra: [("code_challenge", pkce.challenge), ("code_challenge_method", "plain")])
                #expect(redirectParameters(try await browser.get(plain))["error"] == "invalid_request")
                #expect(
                    redirectParameters(try await browser.get(party.authorizeURL(challenge: pkce.challenge, scope: "profile")))["error"]
                        == "invalid_scope"
                )
                let token = party.authorizeURL(challenge: pkce.challenge).replacingOccurrences(of: "response_type=code", with: "response_type=token")
                #expect(redirectParameters(try await browser.get(token))["error"] == "unsupported_response_type")

                // A user the client does not admit.
                try await browser.get("/login")
                try await browser.post("/login", [("username", "bob"), ("password", "correct horse battery")])
                let denied = try await browser.get(restricted.authorizeURL(challenge: pkce.challenge))
                #expect(redirectParameters(denied)["error"] == "access_denied")
            }
            let refusals = try await environment.store.auditEvents(userID: nil, kind: AuditKind.oidcRefused.rawValue, limit: 10, offset: 0)
            #expect(refusals.map(\.detail) == ["admins-only: user not allowed"])
        }
    }

    @Test func theTokenEndpointRefusesWrongSecretsVerifiersAndReusedCodesAndAReusedCodeRevokesItsTokens() async throws {
        try await TestEnvironment.with { environment in
            try await environment.createUser(twoFactor: false)
            let party = try await TestRelyingParty.register(environment)
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                try await browser.get("/login")
                try await browser.post("/login", [("username", "alice"), ("password", "correct horse battery")])
                let pkce = TestRelyingParty.pkce()
                let code = try #require(redirectParameters(try await browser.get(party.authorizeURL(challenge: pkce.challenge)))["code"])

                let wrongSecret = try await party.post(
                    client,
                    "/oidc/token",
                    [("grant_type", "authorization_code"), ("code", code)],
                    secret: "wrong"
                )
                #expect(wrongSecret.status == .unauthorized)
                #expect(try json(wrongSecret)["error"] as? String == "invalid_client")
                #expect(wrongSecret.headers[.wwwAuthenticate]?.hasPrefix("Basic") == true)
                let unknown = try await TestRelyingParty(clientID: "nobody", secret: "x").exchange(client, code: code, verifier: pkce.verifier)
                #expect(try json(unknown)["error"] as? String == "invalid_client")
                // Neither spends the code; a missing or wrong verifier does not either, and is refused.
                #expect(try json(try await party.exchange(client, code: code, verifier: nil))["error"] as? String == "invalid_grant")
                #expect(
                    try json(try await party.exchange(client, code: code, verifier: TestRelyingParty.pkce().verifier))["error"] as? String
                        == "invalid_grant"
                )
                // client_secret_post works as well as Basic.
                let good = try await party.post(
                    client,
                    "/oidc/token",
                    [
                        ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", TestRelyingParty.redirectURI),
                        ("code_verifier", pkce.verifier),
                    ],
                    basic: false
                )
                #expect(good.status == .ok)
                let accessToken = try #require(try json(good)["access_token"] as? String)
                let bearer: HTTPFields = [.authorization: "Bearer \(accessToken)"]
                #expect(try await client.executeRequest(uri: "/oidc/userinfo", method: .get, headers: bearer, body: nil).status == .ok)

                let again = try await party.exchange(client, code: code, verifier: pkce.verifier)
                #expect(try json(again)["error"] as? String == "invalid_grant")
                // The reused code took its tokens with it.
                let after = try await client.executeRequest(uri: "/oidc/userinfo", method: .get, headers: bearer, body: nil)
                #expect(after.status == .unauthorized)
                #expect(after.headers[.wwwAuthenticate] == #"Bearer error="invalid_token""#)

                // A code past its 60 seconds.
                let late = TestRelyingParty.pkce()
                let lateCode = try #require(redirectParameters(try await browser.get(party.authorizeURL(challenge: late.challenge)))["code"])
                environment.clock.advance(by: 61)
                #expect(try json(try await party.exchange(client, code: lateCode, verifier: late.verifier))["error"] as? String == "invalid_grant")
                #expect(
                    try json(try await party.post(client, "/oidc/token", [("grant_type", "password")]))["error"] as? String
                        == "unsupported_grant_type"
                )
            }
            #expect(try await environment.store.auditEvents(userID: nil, kind: AuditKind.oidcCodeReplayed.rawValue, limit: 10, offset: 0).count == 1)
        }
    }

    @Test func refreshTokensRotateAndAReusedOneEndsTheFamily() async throws {
        try await TestEnvironment.with { environment in
            try await environment.createUser(twoFactor: false)
            let party = try await TestRelyingParty.register(environment)
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                try await browser.get("/login")
                try await browser.post("/login", [("username", "alice"), ("password", "correct horse battery")])
                let pkce = TestRelyingParty.pkce()
                let code = try #require(redirectParameters(try await browser.get(party.authorizeURL(challenge: pkce.challenge)))["code"])
                let first = try json(try await party.exchange(client, code: code, verifier: pkce.verifier))
                let refresh1 = try #require(first["refresh_token"] as? String)
                let second = try json(try await party.post(client, "/oidc/token", [("grant_type", "refresh_token"), ("refresh_token", refresh1)]))
                let refresh2 = try #require(second["refresh_token"] as? String)
                #expect(refresh2 != refresh1)
                #expect(second["id_token"] is String)

                let reuse = try await party.post(client, "/oidc/token", [("grant_type", "refresh_token"), ("refresh_token", refresh1)])
                #expect(try json(reuse)["error"] as? String == "invalid_grant")
                let successor = try await party.post(client, "/oidc/token", [("grant_type", "refresh_token"), ("refresh_token", refresh2)])
                #expect(try json(successor)["error"] as? String == "invalid_grant")
                let access2 = try #require(second["access_token"] as? String)
                let introspected = try json(try await party.post(client, "/oidc/introspect", [("token", access2)]))
                #expect(introspected["active"] as? Bool == false)
            }
            #expect(
                try await environment.store.auditEvents(userID: nil, kind: AuditKind.oidcRefreshReplayed.rawValue, limit: 10, offset: 0).count == 1
            )
        }
    }

    @Test func clientCredentialsIntrospectionAndRevocation() async throws {
        try await TestEnvironment.with { environment in
            let party = try await TestRelyingParty.register(environment)
            let other = try await TestRelyingParty.register(environment, id: "other")
            let publicClient = try await TestRelyingParty.register(environment, id: "spa", isPublic: true)
            try await environment.application().test(.router) { client in
                let issued = try json(try await party.post(client, "/oidc/token", [("grant_type", "client_credentials")]))
                let token = try #require(issued["access_token"] as? String)
                #expect(issued["id_token"] == nil && issued["refresh_token"] == nil)
                #expect(issued["scope"] as? String == "profile email groups")

                let active = try json(try await party.post(client, "/oidc/introspect", [("token", token)]))
                #expect(active["active"] as? Bool == true && active["client_id"] as? String == "app" && active["sub"] == nil)
                // Another client learns nothing about it and cannot revoke it.
                #expect(try json(try await other.post(client, "/oidc/introspect", [("token", token)]))["active"] as? Bool == false)
                #expect(try await other.post(client, "/oidc/revoke", [("token", token)]).status == .ok)
                #expect(try json(try await party.post(client, "/oidc/introspect", [("token", token)]))["active"] as? Bool == true)

                #expect(try await party.post(client, "/oidc/revoke", [("token", token)]).status == .ok)
                #expect(try json(try await party.post(client, "/oidc/introspect", [("token", token)]))["active"] as? Bool == false)
                // Unknown tokens are answered the same (RFC 7009 §2.2).
                #expect(try await party.post(client, "/oidc/revoke", [("token", "junk")]).status == .ok)
                #expect(try await party.post(client, "/oidc/revoke", [("token", "junk")], secret: "wrong").status == .unauthorized)

                let machine = try await publicClient.post(client, "/oidc/token", [("grant_type", "client_credentials")])
                #expect(try json(machine)["error"] as? String == "unauthorized_client")
                let introspection = try await publicClient.post(client, "/oidc/introspect", [("token", token)])
                #expect(introspection.status == .unauthorized)
            }
        }
    }

    @Test func theConsentPageSpeaksBothLanguagesAndDenyingSendsAccessDenied() async throws {
        try await TestEnvironment.with { environment in
            try await environment.createUser(twoFactor: false)
            let party = try await TestRelyingParty.register(environment, skipConsent: false)
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                try await browser.get("/login")
                try await browser.post("/login", [("username", "alice"), ("password", "correct horse battery")])
                let pkce = TestRelyingParty.pkce()
                let url = party.authorizeURL(challenge: pkce.challenge)
                let page = try await browser.get(url)
                #expect(page.status == .ok)
                #expect(page.text.contains("Allow access?") && page.text.contains("Your mail address"))
                #expect(page.headers[.contentSecurityPolicy]?.contains("form-action 'self' https://app.example") == true)
                let japanese = try await browser.get(url, headers: [.acceptLanguage: "ja"])
                #expect(japanese.text.contains("アクセスを許可しますか") && japanese.text.contains("メールアドレス"))

                // prompt=none cannot ask.
                let none = try await browser.get(party.authorizeURL(challenge: pkce.challenge, extra: [("prompt", "none")]))
                #expect(redirectParameters(none)["error"] == "consent_required")

                let fields = Browser.allMatches(#"<input type="hidden" name="([^"]+)" value="([^"]*)">"#, in: page.text)
                #expect(fields.contains("redirect_uri"))
                let hidden = try hiddenFields(page.text).filter { $0.0 != "csrf" }
                let deny = try await browser.post("/oidc/authorize/consent", hidden + [("decision", "deny")])
                #expect(redirectParameters(deny)["error"] == "access_denied")
                try await browser.get(url)
                let allow = try await browser.post("/oidc/authorize/consent", hidden + [("decision", "allow")])
                #expect(redirectParameters(allow)["code"] != nil)
                // Consent is remembered for these scopes.
                #expect(redirectParameters(try await browser.get(url))["code"] != nil)
                // The consent form cannot be posted from elsewhere.
                let forged = try await browser.post("/oidc/authorize/consent", hidden + [("decision", "allow")], csrf: .some(nil))
                #expect(forged.status == .forbidden)
            }
        }
    }

    @Test func endSessionWithTheUsersIDTokenEndsTheSessionAndGoesOnlyToARegisteredURI() async throws {
        try await TestEnvironment.with { environment in
            try await environment.createUser(twoFactor: false)
            let party = try await TestRelyingParty.register(environment)
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                try await browser.get("/login")
                try await browser.post("/login", [("username", "alice"), ("password", "correct horse battery")])
                let pkce = TestRelyingParty.pkce()
                let code = try #require(redirectParameters(try await browser.get(party.authorizeURL(challenge: pkce.challenge)))["code"])
                let idToken = try #require(try json(try await party.exchange(client, code: code, verifier: pkce.verifier))["id_token"] as? String)

                let unregistered = try await browser.get(
                    "/oidc/end_session?"
                        + OIDCAuthorizationRoutes.query([("id_token_hint", idToken), ("post_logout_redirect_uri", "https://evil.example/")])
                )
                #expect(unregistered.status == .badRequest && unregistered.headers[.location] == nil)
                // Without a hint the person is asked first.
                let ask = try await browser.get(
                    "/oidc/end_session?client_id=app&post_logout_redirect_uri=" + QueryEncoding.encode("https://app.example/bye")
                )
                #expect(ask.status == .ok && ask.text.contains("confirm-logout"))
                #expect(try await browser.get("/").status == .ok)

                let logout = try await browser.get(
                    "/oidc/end_session?"
                        + OIDCAuthorizationRoutes.query([
                            ("id_token_hint", idToken), ("post_logout_redirect_uri", "https://app.example/bye"), ("state", "s2"),
                        ])
                )
                #expect(logout.headers[.location] == "https://app.example/bye?state=s2")
                // The Sekisho session is gone.
                #expect(try await browser.get("/").headers[.location] == "/login")
            }
        }
    }

    @Test func codesTokensSecretsAndIDTokenHintsNeverReachTheLog() async throws {
        try await TestEnvironment.with { environment in
            try await environment.createUser(twoFactor: false)
            let party = try await TestRelyingParty.register(environment)
            let capture = LogCapture()
            try await environment.application(logger: capture.logger(level: .trace)).test(.router) { client in
                var browser = Browser(client)
                try await browser.get("/login")
                try await browser.post("/login", [("username", "alice"), ("password", "correct horse battery")])
                let pkce = TestRelyingParty.pkce()
                let code = try #require(redirectParameters(try await browser.get(party.authorizeURL(challenge: pkce.challenge)))["code"])
                let tokens = try json(try await party.exchange(client, code: code, verifier: pkce.verifier))
                _ = try await party.exchange(client, code: code, verifier: pkce.verifier)
                let idToken = try #require(tokens["id_token"] as? String)
                try await browser.get("/oidc/end_session?" + OIDCAuthorizationRoutes.query([("id_token_hint", idToken)]))
                let secrets = [code, pkce.verifier, try #require(party.secret), idToken, try #require(tokens["access_token"] as? String)]
                for secret in secrets + [try #require(tokens["refresh_token"] as? String)] {
                    #expect(!capture.text.contains(secret))
                }
                #expect(capture.text.contains("hb.request.path=/oidc/end_session?…"))
            }
        }
    }

    @Test func rotatedKeysSignNewTokensAndThePreviousKeyStaysPublishedUntilItsTokensExpired() async throws {
        try await TestEnvironment.with { environment in
            let box = environment.dependencies.secretBox
            let ring = OIDCKeyRing(store: environment.store, box: box, clock: environment.clock)
            try await ring.prepare()
            let before = try #require(try await ring.publishedKeySet()["keys"]).compactMap { $0["kid"] }
            environment.clock.advance(by: 10)
            _ = try await OIDCKeyRing.rotate(
                store: environment.store,
                box: box,
                at: environment.clock.now(),
                actor: NewAuditEvent(kind: AuditKind.oidcKeysRotated.rawValue)
            )
            environment.clock.advance(by: OIDCKeyRing.reloadInterval)
            let after = try #require(try await ring.publishedKeySet()["keys"]).compactMap { $0["kid"] }
            #expect(after.count == 4 && Set(before).isSubset(of: Set(after)))
            let claims = IDTokenClaims(iss: "i", sub: "s", aud: "a", azp: "a", exp: 1, iat: 1, auth_time: 1, amr: ["pwd"], acr: "x")
            let signed = try await ring.sign(claims, algorithm: .rs256)
            #expect(!before.contains(try jwsHeader(signed)["kid"] as? String ?? ""))
            environment.clock.advance(by: OIDCKeyRing.retiredKeyPublication)
            let later = try #require(try await ring.publishedKeySet()["keys"]).compactMap { $0["kid"] }
            #expect(later.count == 2 && Set(later).isDisjoint(with: Set(before)))
        }
    }
}

/// The hidden fields of a page's form, in order.
func hiddenFields(_ page: String) throws -> [(String, String)] {
    let regex = try Regex(#"<input type="hidden" name="([^"]+)" value="([^"]*)">"#)
    return page.matches(of: regex).compactMap { match in
        guard let name = match.output[1].substring, let value = match.output[2].substring else { return nil }
        return (
            String(name),
            String(value).replacingOccurrences(of: "&amp;", with: "&").replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(
                of: "&#39;",
                with: "'"
            ).replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
        )
    }
}
