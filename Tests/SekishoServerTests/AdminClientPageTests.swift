import Foundation
import HTTPTypes
import HummingbirdTesting
import SekishoCore
import SekishoStore
import Testing

@testable import SekishoServer

/// `/admin/clients`: the OpenID clients page of the administrators.
@Suite struct AdminClientPageTests {
    private let form: [(String, String)] = [
        ("client_id", "grafana"), ("name", "Grafana"), ("redirect_uris", "https://grafana.example/cb\r\nhttps://grafana.example/cb2\r\n"),
        ("post_logout_redirect_uris", "https://grafana.example/bye"), ("scope_openid", "on"), ("scope_profile", "on"),
        ("access", "admins"), ("signing_alg", "ES256"), ("require_pkce", "on"), ("skip_consent", "on"),
        ("access_token_lifetime", "900"), ("id_token_lifetime", "3600"), ("refresh_token_lifetime", "86400"),
    ]

    @Test func anAdministratorAddsAClientWhoseSecretIsShownOnceAndWorks() async throws {
        try await TestEnvironment.with { environment in
            try await environment.createUser("root", twoFactor: false, role: .admin)
            try await TestRelyingParty.seedSigningKeys(environment)
            try await environment.application().test(.router) { client in
                var admin = Browser(client)
                try await admin.get("/login")
                try await admin.post("/login", [("username", "root"), ("password", "correct horse battery")])
                #expect(try await admin.get("/admin/clients").text.contains("id=\"no-clients\""))

                let added = try await admin.post("/admin/clients", form)
                #expect(added.status == .ok && added.headers[.cacheControl] == "no-store")
                let secret = try #require(Browser.firstMatch(#"id="client-secret">([A-Za-z0-9_-]{43})<"#, in: added.text))
                let stored = try #require(try await environment.store.oidcClient(id: "grafana"))
                #expect(stored.secretHash == OpaqueToken.hash(secret) && stored.secretHash != secret)
                #expect(stored.redirectURIs == ["https://grafana.example/cb", "https://grafana.example/cb2"])
                #expect(stored.scopes == ["openid", "profile"] && stored.accessPolicy == .admins && stored.signingAlgorithm == .es256)
                #expect(stored.skipConsent && stored.requirePKCE && stored.accessTokenLifetime == 900 && stored.source == .console)

                // The secret is the client's: the token endpoint takes it.
                let party = TestRelyingParty(clientID: "grafana", secret: secret)
                let issued = try json(try await party.post(client, "/oidc/token", [("grant_type", "client_credentials")]))
                #expect(issued["access_token"] is String)

                // Shown once: the list never carries it again.
                let list = try await admin.get("/admin/clients")
                #expect(list.text.contains("id=\"client-grafana\"") && !list.text.contains(secret))
                let events = try await environment.store.auditEvents(userID: nil, kind: nil, limit: 20, offset: 0)
                #expect(events.contains { $0.kind == AuditKind.oidcClientAdded.rawValue && $0.username == "root" })

                // A refusal says what is wrong, in the page's language, and keeps what was typed.
                let twice = try await admin.post("/admin/clients", form)
                #expect(twice.text.contains("A client with this ID exists already: grafana"))
                let badURI = try await admin.post(
                    "/admin/clients?lang=ja",
                    [("client_id", "x"), ("redirect_uris", "ftp://x.example/cb")]
                )
                #expect(badURI.text.contains("ftp://x.example/cb") && badURI.text.contains("http(s) の絶対 URI"))
                #expect(try await environment.store.oidcClient(id: "x") == nil)

                let removed = try await admin.post("/admin/clients/grafana/remove", [])
                #expect(removed.headers[.location] == "/admin/clients?removed=1")
                #expect(try await environment.store.oidcClient(id: "grafana") == nil)
                #expect(try await party.post(client, "/oidc/token", [("grant_type", "client_credentials")]).status == .unauthorized)
            }
        }
    }

    @Test func aClientFromTheConfigurationFileIsListedButNotRemovable() async throws {
        try await TestEnvironment.with { environment in
            try await environment.createUser("root", twoFactor: false, role: .admin)
            var configured = OIDCClientRegistration.Request(clientID: "gitea", name: "Gitea", redirectURIs: ["https://git.example/cb"])
            configured.isPublic = true
            _ = try await OIDCClientRegistration(store: environment.store, clock: environment.clock)
                .applyConfigured([ConfiguredOIDCClient(request: configured, secretHash: nil)])
            try await environment.application().test(.router) { client in
                var admin = Browser(client)
                try await admin.get("/login")
                try await admin.post("/login", [("username", "root"), ("password", "correct horse battery")])
                let list = try await admin.get("/admin/clients")
                #expect(list.text.contains("id=\"client-gitea\"") && !list.text.contains("/admin/clients/gitea/remove"))
                let refused = try await admin.post("/admin/clients/gitea/remove", [])
                #expect(refused.text.contains("defined in the configuration file"))
                #expect(try await environment.store.oidcClient(id: "gitea") != nil)
            }
        }
    }
}
