import Foundation
import SekishoCore
import SekishoStore

/// Registers and removes clients for the console (and later the admin page): checks what the
/// operator typed, makes the secret, and keeps only its hash.
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

    /// A refusal of what was typed, worded for the operator.
    public struct Refusal: Error, CustomStringConvertible {
        public let description: String
    }

    /// Registers the client; returns it and its secret (nil for a public client), shown once.
    public func add(_ request: Request, actor: String) async throws -> (client: OIDCClient, secret: String?) {
        let now = clock.now()
        var client = try makeClient(request, at: now)
        for name in request.allowedUsernames {
            guard let user = try await store.user(username: UserName.normalize(name)) else { throw Refusal(description: "no user \(name)") }
            // By row id: renaming a user neither loses nor passes on their access.
            client.allowedUserIDs.append(user.id)
        }
        let secret = request.isPublic ? nil : OpaqueToken.generate()
        var stored = client
        stored.secretHash = secret?.hash
        let event = NewAuditEvent(
            kind: AuditKind.oidcClientAdded.rawValue,
            username: actor,
            detail: "\(client.clientID): \(client.redirectURIs.joined(separator: " "))"
        )
        do {
            try await store.addOIDCClient(stored, effects: SideEffects(audit: [event]))
        } catch let error as StoreError where error.isDuplicate {
            throw Refusal(description: "a client \(client.clientID) exists already")
        }
        return (stored, secret?.value)
    }

    public func list() async throws -> [OIDCClient] { try await store.oidcClients() }

    public func remove(clientID: String, actor: String) async throws {
        let event = NewAuditEvent(kind: AuditKind.oidcClientRemoved.rawValue, username: actor, detail: clientID)
        guard try await store.removeOIDCClient(id: clientID, at: clock.now(), effects: SideEffects(audit: [event])) else {
            throw Refusal(description: "no client \(clientID)")
        }
    }

    func makeClient(_ request: Request, at now: Date) throws -> OIDCClient {
        guard (1...100).contains(request.clientID.utf8.count), request.clientID.utf8.allSatisfy(Self.isIDCharacter) else {
            throw Refusal(description: "a client ID has 1 to 100 of A-Z a-z 0-9 . _ -")
        }
        guard !request.redirectURIs.isEmpty else { throw Refusal(description: "a client needs at least one redirect URI") }
        for uri in request.redirectURIs + request.postLogoutRedirectURIs {
            try Self.checkRedirectURI(uri)
        }
        for scope in request.scopes where !OIDCService.supportedScopes.contains(scope) {
            throw Refusal(description: "unknown scope \(scope) (known: \(OIDCService.supportedScopes.joined(separator: ", ")))")
        }
        for (name, value, maximum) in [
            ("access token", request.accessTokenLifetime, OIDCService.maximumLifetime),
            ("ID token", request.idTokenLifetime, OIDCService.maximumLifetime),
            ("refresh token", request.refreshTokenLifetime, 365 * 86_400),
        ] where !(60...maximum).contains(value) {
            throw Refusal(description: "the \(name) lifetime must be 60 to \(maximum) seconds")
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
        else { throw Refusal(description: "\(uri) is not an absolute http(s) URI without fragment") }
    }

    private static func isIDCharacter(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x2E || byte == 0x5F
            || byte == 0x2D
    }
}
