import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import SekishoStore
import TestSupport
import Testing

@testable import SekishoServer

/// Clients written in the configuration file (`oidc.clients`): read with the rest of the file,
/// put in the store at start-up, and owned by the file.
@Suite struct OIDCConfiguredClientsTests {
    /// Loads `yaml` as the configuration file, the way `sekisho serve --config` does.
    private func load(_ yaml: String) async throws -> SekishoConfiguration {
        let directory = try ScratchDirectory("config")
        defer { directory.remove() }
        let path = directory.path("sekisho.yaml")
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return try await ConfigurationLoader(filePath: path, environment: [:]).load()
    }

    private func yaml(secretHash: String, grafanaURI: String = "https://grafana.example/login/generic_oauth", spa: Bool = true) -> String {
        var text = """
            server:
              port: 9000
            oidc:
              clients:
                - id: grafana
                  name: Grafana
                  secret_hash: \(secretHash)
                  redirect_uris: [\(grafanaURI)]
                  access: admins
                  signing_alg: es256
                  require_pkce: false
                  skip_consent: yes
                  access_token_lifetime: 600

            """
        if spa {
            text += """
                    - id: spa
                      public: true
                      redirect_uris:
                        - https://spa.example/cb
                      access: listed
                      users: [alice, nobody]

                """
        }
        return text
    }

    @Test func theFileListsClientsWithTheirSettings() async throws {
        let hash = OIDCClientRegistration.makeSecret().hash
        let configuration = try await load(yaml(secretHash: hash))
        let clients = try #require(configuration.oidcClients)
        #expect(clients.map(\.request.clientID) == ["grafana", "spa"])
        let grafana = clients[0]
        #expect(grafana.secretHash == hash && grafana.request.name == "Grafana" && grafana.request.accessPolicy == .admins)
        #expect(grafana.request.signingAlgorithm == .es256 && !grafana.request.requirePKCE && grafana.request.skipConsent)
        #expect(grafana.request.accessTokenLifetime == 600 && grafana.request.redirectURIs == ["https://grafana.example/login/generic_oauth"])
        #expect(clients[1].secretHash == nil && clients[1].request.isPublic && clients[1].request.allowedUsernames == ["alice", "nobody"])
        // No list in the file: the clients an earlier file defined stay as they are.
        #expect(try await load("server:\n  port: 9000\n").oidcClients == nil)
    }

    @Test(arguments: [
        ("- id: a\n  redirect_uris: [https://a.example/cb]\n", "oidc.clients[0].secret_hash"),
        ("- id: a\n  public: true\n  secret_hash: \(String(repeating: "0", count: 64))\n", "oidc.clients[0].secret_hash"),
        ("- id: a\n  secret_hash: not-a-hash\n", "oidc.clients[0].secret_hash"),
        ("- id: a\n  public: true\n  acess: admins\n", "oidc.clients[0].acess"),
        ("- id: a\n  public: true\n  access: friends\n", "oidc.clients[0].access"),
        ("- id: a\n  public: true\n- id: a\n  public: true\n", "oidc.clients[1].id"),
        ("- name: nameless\n  public: true\n", "oidc.clients[0].id"),
        ("  grafana: {}\n", "oidc.clients"),
    ])
    func aWrongClientEntryNamesItsKey(entries: String, key: String) async {
        let text =
            "oidc:\n  clients:\n" + entries.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n")
        do {
            _ = try await load(text)
            Issue.record("\(entries) was accepted")
        } catch let error as ConfigurationError {
            #expect(error.key == key, "\(error)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func aStartPutsTheFilesClientsInTheStoreAndTheFileOwnsThem() async throws {
        try await TestEnvironment.with { environment in
            try await TestRelyingParty.seedSigningKeys(environment)
            try await environment.createUser("alice", twoFactor: false)
            let (secret, hash) = OIDCClientRegistration.makeSecret()
            var dependencies = environment.dependencies
            dependencies.configuration.oidcClients = try await load(yaml(secretHash: hash)).oidcClients
            let logs = LogCapture()
            try await buildApplication(dependencies, logger: logs.logger()).test(.router) { client in
                // The secret the file's hash stands for is the client's secret.
                let grafana = TestRelyingParty(clientID: "grafana", secret: secret)
                let issued = try json(try await grafana.post(client, "/oidc/token", [("grant_type", "client_credentials")]))
                #expect(issued["access_token"] is String && issued["expires_in"] as? Int == 600)
                #expect(
                    try await grafana.post(client, "/oidc/token", [("grant_type", "client_credentials")], secret: "wrong").status == .unauthorized
                )
            }
            let spa = try #require(try await environment.store.oidcClient(id: "spa"))
            let alice = try #require(try await environment.store.user(username: "alice"))
            #expect(spa.source == .config && spa.isPublic && spa.allowedUserIDs == [alice.id])
            // A listed user who does not exist is named in the log, not a reason to refuse the start.
            #expect(logs.messages(at: .warning).contains { $0.contains("nobody (client spa)") })

            // The console cannot remove what the next start would put back.
            let registration = OIDCClientRegistration(store: environment.store, clock: environment.clock)
            await #expect(throws: OIDCClientRegistration.Refusal.self) { try await registration.remove(clientID: "grafana", actor: .console("test")) }

            // The next start with an edited file: grafana changed in place, spa gone.
            dependencies.configuration.oidcClients = try await load(yaml(secretHash: hash, grafanaURI: "https://grafana.example/cb", spa: false))
                .oidcClients
            _ = try await buildApplication(dependencies, logger: logs.logger())
            #expect(try await environment.store.oidcClient(id: "spa") == nil)
            #expect(try await environment.store.oidcClient(id: "grafana")?.redirectURIs == ["https://grafana.example/cb"])
        }
    }

    @Test func aFileClientWithTheIDOfAConsoleClientStopsTheStart() async throws {
        try await TestEnvironment.with { environment in
            _ = try await TestRelyingParty.register(environment, id: "grafana")
            var dependencies = environment.dependencies
            dependencies.configuration.oidcClients = try await load(yaml(secretHash: OIDCClientRegistration.makeSecret().hash, spa: false))
                .oidcClients
            do {
                _ = try await buildApplication(dependencies, logger: Logger(label: "test"))
                Issue.record("the start went on")
            } catch let error as StartupError {
                #expect(error.exitCode == 2 && error.message.contains("grafana"), "\(error)")
            }
            // The console's client is untouched.
            #expect(try await environment.store.oidcClient(id: "grafana")?.source == .console)
        }
    }
}
