import ArgumentParser
import Foundation
import SekishoServer
import SekishoStore

struct OIDCCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "oidc",
        abstract: "The OpenID Connect provider: clients and signing keys.",
        subcommands: [OIDCClientCommand.self, RotateOIDCKeys.self]
    )
}

struct OIDCClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client",
        abstract: "Register, list and remove relying parties.",
        subcommands: [AddOIDCClient.self, ListOIDCClients.self, RemoveOIDCClient.self, MakeOIDCClientSecret.self]
    )
}

extension OIDCClient.AccessPolicy: ExpressibleByArgument {}

extension OIDCClient.SigningAlgorithm: ExpressibleByArgument {}

struct AddOIDCClient: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Register a client. Its secret is printed once; Sekisho keeps only its hash."
    )
    @OptionGroup var options: ConfigOptions
    @Argument(help: "The client ID the application is configured with.") var clientID: String
    @Option(help: "The name shown on the consent page.") var name: String = ""
    @Option(name: .customLong("redirect-uri"), help: "A redirect URI, matched exactly (repeat for several).") var redirectURIs: [String] = []
    @Option(name: .customLong("post-logout-redirect-uri"), help: "Where the client may send people after logout (repeatable).")
    var postLogoutRedirectURIs: [String] = []
    @Flag(name: .customLong("public"), help: "A public client (browser or phone app): no secret, PKCE required.") var isPublic = false
    @Option(name: .customLong("scope"), help: "An allowed scope (repeatable; default: all).") var scopes: [String] = []
    @Option(help: "Who may sign in: everyone, admins, or listed (with --user).") var access: OIDCClient.AccessPolicy = .everyone
    @Option(name: .customLong("user"), help: "A user ID allowed with --access listed (repeatable).") var users: [String] = []
    @Flag(name: .customLong("skip-consent"), help: "Do not ask people to consent (first-party apps).") var skipConsent = false
    @Flag(name: .customLong("no-pkce"), help: "Do not require PKCE from this confidential client (for apps that cannot send it).")
    var noPKCE = false
    @Option(help: "ID token signature: RS256 (default, understood by all) or ES256.") var alg: OIDCClient.SigningAlgorithm = .rs256
    @Option(name: .customLong("access-token-lifetime"), help: "Seconds.") var accessTokenLifetime = 3600
    @Option(name: .customLong("id-token-lifetime"), help: "Seconds.") var idTokenLifetime = 3600
    @Option(name: .customLong("refresh-token-lifetime"), help: "Seconds.") var refreshTokenLifetime = 30 * 86_400

    func run() async throws {
        try await withConsole(options) { console in
            var request = OIDCClientRegistration.Request(clientID: clientID, name: name, redirectURIs: redirectURIs)
            request.postLogoutRedirectURIs = postLogoutRedirectURIs
            request.isPublic = isPublic
            if !scopes.isEmpty { request.scopes = scopes }
            request.accessPolicy = access
            request.allowedUsernames = users
            request.skipConsent = skipConsent
            request.requirePKCE = !noPKCE
            request.signingAlgorithm = alg
            request.accessTokenLifetime = accessTokenLifetime
            request.idTokenLifetime = idTokenLifetime
            request.refreshTokenLifetime = refreshTokenLifetime
            do {
                let (client, secret) = try await console.oidcClients.add(request, actor: .console())
                print("registered client \(client.clientID) (\(client.isPublic ? "public" : "confidential"), \(client.signingAlgorithm.rawValue))")
                if let secret {
                    print("client secret (shown only now; Sekisho keeps its hash): \(secret)")
                }
            } catch let refusal as OIDCClientRegistration.Refusal {
                throw Fatal(refusal.description, exitCode: 1)
            }
        }
    }
}

struct ListOIDCClients: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List clients.")
    @OptionGroup var options: ConfigOptions

    func run() async throws {
        try await withConsole(options) { console in
            print("CLIENT ID".padding(toLength: 24, withPad: " ", startingAt: 0) + "KIND          ALG    ACCESS    SOURCE   REDIRECT URIS")
            for client in try await console.oidcClients.list() {
                print(
                    client.clientID.padding(toLength: 24, withPad: " ", startingAt: 0)
                        + (client.isPublic ? "public" : "confidential").padding(toLength: 14, withPad: " ", startingAt: 0)
                        + client.signingAlgorithm.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0)
                        + client.accessPolicy.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)
                        + client.source.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)
                        + client.redirectURIs.joined(separator: " ")
                )
            }
        }
    }
}

struct RemoveOIDCClient: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a client with all its grants and tokens.")
    @OptionGroup var options: ConfigOptions
    @Argument var clientID: String

    func run() async throws {
        try await withConsole(options) { console in
            do {
                try await console.oidcClients.remove(clientID: clientID, actor: .console())
                print("removed client \(clientID)")
            } catch let refusal as OIDCClientRegistration.Refusal {
                throw Fatal(refusal.description, exitCode: 1)
            }
        }
    }
}

struct MakeOIDCClientSecret: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "make-secret",
        abstract: "Make a client secret for a client in the configuration file: the secret goes to the app, its hash to the file."
    )

    func run() async throws {
        let (secret, hash) = OIDCClientRegistration.makeSecret()
        print("client secret (give it to the app; it is not kept anywhere): \(secret)")
        print("secret_hash for oidc.clients in the configuration file:      \(hash)")
    }
}

struct RotateOIDCKeys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate-keys",
        abstract: "Make new ID token signing keys; the previous ones stay published until their tokens expired."
    )
    @OptionGroup var options: ConfigOptions

    func run() async throws {
        try await withConsole(options) { console in
            for key in try await console.rotateOIDCKeys() {
                print("new \(key.algorithm.rawValue) signing key \(key.kid)")
            }
        }
    }
}
