import Foundation
import SekishoCore
import SekishoStore

/// Registers and removes clients for the console and the admin page, and puts the configuration
/// file's clients in the store at start-up: checks what the operator wrote, makes the secret, and
/// keeps only its hash.
public struct OIDCClientRegistration: Sendable {
    let store: any Store
    let clock: any WallClock

    /// What the operator asks for; the secret is made here.
    public struct Request: Sendable {
        public var clientID: String
        public var name: String
        public var redirectURIs: [String]
        public var postLogoutRedirectURIs: [String] = []
        /// A public client (an app in the browser or on a phone) gets no secret and must use PKCE.
        public var isPublic = false
        public var scopes: [String] = OIDCService.supportedScopes
        public var accessPolicy: OIDCClient.AccessPolicy = .everyone
        /// User IDs (names people sign in with) for ``OIDCClient/AccessPolicy/listed``.
        public var allowedUsernames: [String] = []
        public var skipConsent = false
        public var requirePKCE = true
        public var signingAlgorithm: OIDCClient.SigningAlgorithm = .rs256
        public var accessTokenLifetime = 3600
        public var idTokenLifetime = 3600
        public var refreshTokenLifetime = 30 * 86_400

        public init(clientID: String, name: String, redirectURIs: [String]) {
            self.clientID = clientID
            self.name = name
            self.redirectURIs = redirectURIs
        }
    }

    /// Who registers or removes a client, for the audit log: the console, or an administrator's
    /// session on the admin page.
    public struct Actor: Sendable {
        var username: String
        var userID: Int64?
        var clientAddress: String

        public static func console(_ name: String = "console") -> Actor { Actor(username: name, userID: nil, clientAddress: "console") }

        static func administrator(_ actor: AdminService.Actor) -> Actor {
            Actor(username: actor.user.username, userID: actor.user.id, clientAddress: actor.clientAddress)
        }

        func event(_ kind: AuditKind, detail: String) -> NewAuditEvent {
            NewAuditEvent(kind: kind.rawValue, actorUserID: userID, username: username, clientAddress: clientAddress, detail: detail)
        }
    }

    /// Registers the client; returns it and its secret (nil for a public client), shown once.
    public func add(_ request: Request, actor: Actor) async throws -> (client: OIDCClient, secret: String?) {
        let now = clock.now()
        var client = try makeClient(request, at: now)
        let (ids, unknown) = try await userIDs(request.allowedUsernames)
        if let name = unknown.first { throw Refusal(.unknownUser, name, "no user \(name)") }
        client.allowedUserIDs = ids
        let secret = request.isPublic ? nil : Self.makeSecret()
        var stored = client
        stored.secretHash = secret?.hash
        let event = actor.event(.oidcClientAdded, detail: "\(client.clientID): \(client.redirectURIs.joined(separator: " "))")
        do {
            try await store.addOIDCClient(stored, effects: SideEffects(audit: [event]))
        } catch let error as StoreError where error.isDuplicate {
            throw Refusal(.duplicate, client.clientID, "a client \(client.clientID) exists already")
        }
        return (stored, secret?.value)
    }

    /// A new client secret and the hash that is stored (or written in the configuration file):
    /// 256 random bits, so a fast hash is enough; a guess is as hard as the secret itself.
    public static func makeSecret() -> (value: String, hash: String) {
        let token = OpaqueToken.generate()
        return (token.value, token.hash)
    }

    /// Replaces the clients an earlier configuration file defined with these (same ID: updated in
    /// place, keeping its grants; gone from the file: removed). Returns the user IDs listed that do
    /// not exist (yet): they are left out until a start after they were created.
    public func applyConfigured(_ configured: [ConfiguredOIDCClient]) async throws -> [String] {
        let now = clock.now()
        var clients: [OIDCClient] = []
        var missing: [String] = []
        for entry in configured {
            var client: OIDCClient
            do {
                client = try makeClient(entry.request, at: now)
            } catch let refusal as Refusal {
                throw refusal.prefixed("oidc.clients \(entry.request.clientID)")
            }
            let (ids, unknown) = try await userIDs(entry.request.allowedUsernames)
            client.allowedUserIDs = ids
            client.secretHash = entry.secretHash
            client.source = .config
            missing += unknown.map { "\($0) (client \(entry.request.clientID))" }
            clients.append(client)
        }
        do {
            try await store.replaceConfiguredOIDCClients(clients, at: now)
        } catch let error as StoreError where error.isDuplicate {
            throw Refusal(.duplicate, "", "oidc.clients: \(error)")
        }
        return missing
    }

    public func list() async throws -> [OIDCClient] { try await store.oidcClients() }

    public func remove(clientID: String, actor: Actor) async throws {
        // The next start would put it back: the file is where it is defined.
        if let client = try await store.oidcClient(id: clientID), client.source == .config {
            throw Refusal(.definedInFile, clientID, "client \(clientID) is defined in the configuration file; remove it there")
        }
        let event = actor.event(.oidcClientRemoved, detail: clientID)
        guard try await store.removeOIDCClient(id: clientID, at: clock.now(), effects: SideEffects(audit: [event])) else {
            throw Refusal(.notFound, clientID, "no client \(clientID)")
        }
    }

    /// Row ids of the named users, by row id so that renaming a user neither loses nor passes on
    /// their access; and the names that match nobody.
    private func userIDs(_ names: [String]) async throws -> (ids: [Int64], unknown: [String]) {
        var ids: [Int64] = []
        var unknown: [String] = []
        for name in names {
            if let user = try await store.user(username: UserName.normalize(name)) { ids.append(user.id) } else { unknown.append(name) }
        }
        return (ids, unknown)
    }

    func makeClient(_ request: Request, at now: Date) throws -> OIDCClient {
        guard (1...100).contains(request.clientID.utf8.count), request.clientID.utf8.allSatisfy(Self.isIDCharacter) else {
            throw Refusal(.badClientID, request.clientID, "a client ID has 1 to 100 of A-Z a-z 0-9 . _ -")
        }
        guard !request.redirectURIs.isEmpty else { throw Refusal(.noRedirectURI, "", "a client needs at least one redirect URI") }
        for uri in request.redirectURIs + request.postLogoutRedirectURIs {
            try Self.checkRedirectURI(uri)
        }
        for scope in request.scopes where !OIDCService.supportedScopes.contains(scope) {
            throw Refusal(.unknownScope, scope, "unknown scope \(scope) (known: \(OIDCService.supportedScopes.joined(separator: ", ")))")
        }
        for (name, value, maximum) in [
            ("access token", request.accessTokenLifetime, OIDCService.maximumLifetime),
            ("ID token", request.idTokenLifetime, OIDCService.maximumLifetime),
            ("refresh token", request.refreshTokenLifetime, 365 * 86_400),
        ] where !(60...maximum).contains(value) {
            throw Refusal(.badLifetime, "\(value)", "the \(name) lifetime must be 60 to \(maximum) seconds")
        }
        return OIDCClient(
            clientID: request.clientID,
            secretHash: nil,
            name: request.name.isEmpty ? request.clientID : request.name,
            redirectURIs: request.redirectURIs,
            postLogoutRedirectURIs: request.postLogoutRedirectURIs,
            scopes: request.scopes.contains("openid") ? request.scopes : ["openid"] + request.scopes,
            accessPolicy: request.accessPolicy,
            allowedUserIDs: [],
            skipConsent: request.skipConsent,
            // A public client has nothing else to prove the code is its own (RFC 9700 §2.1.1).
            requirePKCE: request.isPublic || request.requirePKCE,
            signingAlgorithm: request.signingAlgorithm,
            accessTokenLifetime: request.accessTokenLifetime,
            idTokenLifetime: request.idTokenLifetime,
            refreshTokenLifetime: request.refreshTokenLifetime,
            source: .console,
            createdAt: now,
            updatedAt: now
        )
    }

    /// An absolute http(s) URI without a fragment (RFC 6749 §3.1.2), in printable ASCII.
    static func checkRedirectURI(_ uri: String) throws {
        guard uri.utf8.count <= 2000, uri.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }),
            let components = URLComponents(string: uri), let scheme = components.scheme?.lowercased(), scheme == "https" || scheme == "http",
            let host = components.host, !host.isEmpty, components.fragment == nil, components.user == nil
        else { throw Refusal(.badURI, uri, "\(uri) is not an absolute http(s) URI without fragment") }
    }

    private static func isIDCharacter(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x2E || byte == 0x5F
            || byte == 0x2D
    }
}
