import Crypto
import Foundation
import HTTPTypes
import SekishoCore
import SekishoStore

extension OIDCService {
    /// A client as it authenticated at a back-channel endpoint.
    struct AuthenticatedClient: Sendable {
        let client: OIDCClient
    }

    /// Authenticates the client of a token, revocation or introspection request:
    /// `client_secret_basic` (the Authorization header) or `client_secret_post` (form fields),
    /// or `none` for a public client, which identifies itself and proves the flow with PKCE.
    func authenticateClient(authorization: String?, form: FormData) async throws -> AuthenticatedClient {
        var clientID: String?
        var secret: String?
        if let authorization {
            guard form["client_secret"] == nil else { throw refused(.invalidRequest("use one way of client authentication"), "client_auth_twice") }
            let parts = authorization.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "basic", let decoded = Data(base64Encoded: String(parts[1])),
                let text = String(data: decoded, encoding: .utf8), let colon = text.firstIndex(of: ":")
            else { throw refused(.invalidClient("malformed Basic credentials"), "invalid_client") }
            // RFC 6749 §2.3.1: both parts are form-urlencoded before they are joined.
            clientID = String(text[..<colon]).removingPercentEncoding
            secret = String(text[text.index(after: colon)...]).removingPercentEncoding
            if let formID = form["client_id"], formID != clientID { throw refused(.invalidRequest("client_id differs"), "client_id_mismatch") }
        } else {
            clientID = form["client_id"]
            secret = form["client_secret"]
        }
        guard let clientID, !clientID.isEmpty, clientID.utf8.count <= 200, let client = try await store.oidcClient(id: clientID) else {
            throw refused(.invalidClient("unknown client"), "unknown_client")
        }
        switch (client.secretHash, secret) {
        case (nil, nil):
            return AuthenticatedClient(client: client)
        case (let stored?, let presented?) where Self.constantTimeEqual(stored, OpaqueToken.hash(presented)):
            return AuthenticatedClient(client: client)
        default:
            throw refused(.invalidClient("client authentication failed"), "wrong_client_secret")
        }
    }

    /// `grant_type=authorization_code` (RFC 6749 §4.1.3, RFC 7636 §4.5).
    func exchangeCode(form: FormData, client: AuthenticatedClient, clientAddress: String) async throws -> [String: JSONValue] {
        guard let code = form["code"], OpaqueToken.isWellFormed(code) else { throw refused(.invalidGrant("the code is not valid"), "invalid_code") }
        guard let redirectURI = form["redirect_uri"] else { throw refused(.invalidRequest("redirect_uri is missing"), "no_redirect_uri") }
        var challenge: String?
        if let verifier = form["code_verifier"] {
            guard Self.isPKCEValue(verifier, length: 43...128) else { throw refused(.invalidGrant("code_verifier is malformed"), "bad_verifier") }
            challenge = Self.challenge(ofVerifier: verifier)
        }
        let now = clock.now()
        let tokens = newTokens(for: client.client, at: now)
        let presented = CodePresentation(
            codeHash: OpaqueToken.hash(code),
            clientID: client.client.clientID,
            redirectURI: redirectURI,
            codeChallenge: challenge
        )
        switch try await store.redeemAuthorizationCode(presented, at: now, issuing: tokens.issued, effects: .none) {
        case .issued(let grant, let nonce):
            return try await answer(
                grant,
                client: client.client,
                tokens: tokens,
                nonce: nonce,
                kind: "authorization_code",
                clientAddress: clientAddress
            )
        case .replayed(let grantID):
            try await audit(
                .oidcCodeReplayed,
                client: client.client,
                userID: nil,
                clientAddress: clientAddress,
                detail: "grant \(grantID.prefix(8)) revoked"
            )
            throw refused(.invalidGrant("the code was used before; the tokens issued with it are revoked"), "code_replayed")
        case .invalid:
            throw refused(.invalidGrant("the code is unknown, expired, or does not match the client, redirect URI or code_verifier"), "invalid_code")
        }
    }

    /// `grant_type=refresh_token` (RFC 6749 §6) with rotation: the token sent is spent, a new one
    /// comes back, and a spent one sent again ends the whole family.
    func refresh(form: FormData, client: AuthenticatedClient, clientAddress: String) async throws -> [String: JSONValue] {
        guard let token = form["refresh_token"], OpaqueToken.isWellFormed(token) else {
            throw refused(.invalidGrant("the refresh token is not valid"), "invalid_refresh_token")
        }
        let now = clock.now()
        let hash = OpaqueToken.hash(token)
        if let live = try await store.oidcRefreshToken(hash: hash, at: now) {
            if let scope = form["scope"],
                !Set(scope.split(separator: " ").map(String.init)).isSubset(of: Set(live.grant.scope.split(separator: " ").map(String.init)))
            {
                throw refused(.invalidScope("a refresh cannot add scopes"), "invalid_scope")
            }
            // The user may have been taken off the client since the grant.
            guard let user = try await store.user(id: live.grant.userID), Self.mayUse(client.client, user) else {
                throw refused(.invalidGrant("the user may no longer use this client"), "user_not_allowed")
            }
        }
        let tokens = newTokens(for: client.client, at: now)
        switch try await store.rotateRefreshToken(hash: hash, clientID: client.client.clientID, at: now, issuing: tokens.issued, effects: .none) {
        case .issued(let grant, _):
            return try await answer(grant, client: client.client, tokens: tokens, nonce: nil, kind: "refresh_token", clientAddress: clientAddress)
        case .replayed(let grantID):
            try await audit(
                .oidcRefreshReplayed,
                client: client.client,
                userID: nil,
                clientAddress: clientAddress,
                detail: "grant \(grantID.prefix(8)) revoked"
            )
            throw refused(.invalidGrant("the refresh token was used before; its family is revoked"), "refresh_token_replayed")
        case .invalid:
            throw refused(.invalidGrant("the refresh token is unknown, expired or revoked"), "invalid_refresh_token")
        }
    }

    /// `grant_type=client_credentials` (RFC 6749 §4.4): a confidential client acting for itself.
    func clientCredentials(form: FormData, client: AuthenticatedClient, clientAddress: String) async throws -> [String: JSONValue] {
        guard !client.client.isPublic else {
            throw refused(.unauthorizedClient("a public client cannot act for itself"), "public_client_credentials")
        }
        let machineScopes = client.client.scopes.filter { !["openid", "offline_access"].contains($0) }
        var scopes = machineScopes
        if let asked = form["scope"] {
            let wanted = asked.split(separator: " ").map(String.init)
            guard wanted.allSatisfy(machineScopes.contains) else {
                throw refused(.invalidScope("scope not allowed for this client"), "invalid_scope")
            }
            scopes = wanted
        }
        let now = clock.now()
        let token = OpaqueToken.generate()
        let lifetime = client.client.accessTokenLifetime
        let event = NewAuditEvent(
            kind: AuditKind.oidcTokenIssued.rawValue,
            clientAddress: clientAddress,
            detail: "\(client.client.clientID): client_credentials"
        )
        try await store.createClientAccessToken(
            hash: token.hash,
            clientID: client.client.clientID,
            scope: scopes.joined(separator: " "),
            at: now,
            expiresAt: now.addingTimeInterval(TimeInterval(lifetime)),
            effects: SideEffects(audit: [event])
        )
        metrics.oidcGrant("client_credentials")
        return [
            "access_token": .string(token.value), "token_type": .string("Bearer"), "expires_in": .int(lifetime),
            "scope": .string(scopes.joined(separator: " ")),
        ]
    }

    /// The claims of `/oidc/userinfo` for a bearer access token (OIDC Core §5.3).
    func userinfo(authorization: String?) async throws -> [String: JSONValue] {
        guard let authorization, authorization.lowercased().hasPrefix("bearer ") else {
            throw refused(.invalidToken("no bearer token"), "no_bearer_token")
        }
        let token = String(authorization.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)
        guard OpaqueToken.isWellFormed(token), let access = try await store.oidcAccessToken(hash: OpaqueToken.hash(token), at: clock.now()),
            let grant = access.grant, let user = try await store.user(id: grant.userID)
        else { throw refused(.invalidToken("the access token is not valid"), "invalid_access_token") }
        let subject = try await subject(of: user)
        return Self.userClaims(user, subject: subject, scopes: Set(grant.scope.split(separator: " ").map(String.init)))
    }

    /// RFC 7662: whether a token is live, and what it is for; a client learns only about its own tokens.
    func introspect(form: FormData, client: AuthenticatedClient) async throws -> [String: JSONValue] {
        guard let token = form["token"] else { throw refused(.invalidRequest("token is missing"), "no_token") }
        guard OpaqueToken.isWellFormed(token) else { return ["active": .bool(false)] }
        let now = clock.now()
        let hash = OpaqueToken.hash(token)
        var answer: [String: JSONValue] = ["active": .bool(true), "iss": .string(issuer)]
        let grant: OIDCGrant?
        if let access = try await store.oidcAccessToken(hash: hash, at: now), access.clientID == client.client.clientID {
            grant = access.grant
            answer["token_type"] = .string("Bearer")
            answer["scope"] = .string(access.scope)
            answer["exp"] = .int(Int(access.expiresAt.timeIntervalSince1970))
            answer["iat"] = .int(Int(access.createdAt.timeIntervalSince1970))
        } else if let refresh = try await store.oidcRefreshToken(hash: hash, at: now), refresh.grant.clientID == client.client.clientID {
            grant = refresh.grant
            answer["token_type"] = .string("refresh_token")
            answer["scope"] = .string(refresh.grant.scope)
            answer["exp"] = .int(Int(refresh.expiresAt.timeIntervalSince1970))
            answer["iat"] = .int(Int(refresh.createdAt.timeIntervalSince1970))
        } else {
            return ["active": .bool(false)]
        }
        answer["client_id"] = .string(client.client.clientID)
        answer["aud"] = .string(client.client.clientID)
        if let grant, let user = try await store.user(id: grant.userID) {
            answer["sub"] = .string(try await subject(of: user))
            answer["username"] = .string(user.username)
        }
        return answer
    }

    /// RFC 7009: revokes the token if it is the client's; the answer is the same either way.
    func revoke(form: FormData, client: AuthenticatedClient, clientAddress: String) async throws {
        guard let token = form["token"] else { throw refused(.invalidRequest("token is missing"), "no_token") }
        guard OpaqueToken.isWellFormed(token) else { return }
        let event = NewAuditEvent(kind: AuditKind.oidcTokenRevoked.rawValue, clientAddress: clientAddress, detail: client.client.clientID)
        let result = try await store.revokeOIDCToken(
            hash: OpaqueToken.hash(token),
            clientID: client.client.clientID,
            at: clock.now(),
            effects: SideEffects(audit: [event])
        )
        if result != .none { metrics.oidcGrant("revoked") }
    }

    // MARK: - Helpers

    struct NewTokens {
        let accessToken: OpaqueToken
        let refreshToken: OpaqueToken
        let issued: IssuedTokens
        let accessLifetime: Int
    }

    /// Fresh tokens; a refresh token only for a client allowed `offline_access` (RFC 6749 §1.5
    /// leaves it to the server; refresh tokens outlive the sign-in, so the operator opts in).
    private func newTokens(for client: OIDCClient, at now: Date) -> NewTokens {
        let access = OpaqueToken.generate()
        let refreshToken = OpaqueToken.generate()
        let refresh = client.scopes.contains("offline_access")
        return NewTokens(
            accessToken: access,
            refreshToken: refreshToken,
            issued: IssuedTokens(
                accessTokenHash: access.hash,
                accessTokenExpiresAt: now.addingTimeInterval(TimeInterval(client.accessTokenLifetime)),
                refreshTokenHash: refresh ? refreshToken.hash : nil,
                refreshTokenExpiresAt: refresh ? now.addingTimeInterval(TimeInterval(client.refreshTokenLifetime)) : nil
            ),
            accessLifetime: client.accessTokenLifetime
        )
    }

    /// The token response of a grant just spent: access token, ID token, and the refresh token
    /// when the client may have one.
    private func answer(
        _ grant: OIDCGrant,
        client: OIDCClient,
        tokens: NewTokens,
        nonce: String?,
        kind: String,
        clientAddress: String
    ) async throws -> [String: JSONValue] {
        guard let user = try await store.user(id: grant.userID) else { throw refused(.invalidGrant("the user no longer exists"), "user_gone") }
        let scopes = Set(grant.scope.split(separator: " ").map(String.init))
        let now = clock.now()
        var claims = IDTokenClaims(
            iss: issuer,
            sub: try await subject(of: user),
            aud: client.clientID,
            azp: client.clientID,
            exp: Int(now.timeIntervalSince1970) + client.idTokenLifetime,
            iat: Int(now.timeIntervalSince1970),
            auth_time: Int(grant.authTime.timeIntervalSince1970),
            nonce: nonce,
            amr: grant.amr.split(separator: " ").map(String.init),
            acr: Self.acr(amr: grant.amr.split(separator: " ").map(String.init)),
            at_hash: Self.atHash(tokens.accessToken.value)
        )
        if scopes.contains("profile") {
            claims.preferred_username = user.username
            claims.name = user.displayName.isEmpty ? user.username : user.displayName
        }
        if scopes.contains("email") {
            claims.email = user.email
            // Sekisho does not confirm addresses; an administrator types them in.
            claims.email_verified = false
        }
        if scopes.contains("groups") { claims.groups = Self.groups(of: user) }
        let idToken = try await keys.sign(claims, algorithm: client.signingAlgorithm)
        try await audit(.oidcTokenIssued, client: client, userID: user.id, username: user.username, clientAddress: clientAddress, detail: kind)
        metrics.oidcGrant(kind)
        var answer: [String: JSONValue] = [
            "access_token": .string(tokens.accessToken.value), "token_type": .string("Bearer"), "expires_in": .int(tokens.accessLifetime),
            "id_token": .string(idToken), "scope": .string(grant.scope),
        ]
        if tokens.issued.refreshTokenHash != nil { answer["refresh_token"] = .string(tokens.refreshToken.value) }
        return answer
    }

    /// The user's stable `sub`: 256 random bits made the first time, never the user ID.
    func subject(of user: User) async throws -> String {
        try await store.oidcSubject(userID: user.id, candidate: OpaqueToken.generate().value, at: clock.now())
    }

    static func groups(of user: User) -> [String] { user.role == .admin ? ["admins", "users"] : ["users"] }

    static func userClaims(_ user: User, subject: String, scopes: Set<String>) -> [String: JSONValue] {
        var claims: [String: JSONValue] = ["sub": .string(subject)]
        if scopes.contains("profile") {
            claims["preferred_username"] = .string(user.username)
            claims["name"] = .string(user.displayName.isEmpty ? user.username : user.displayName)
        }
        if scopes.contains("email") {
            claims["email"] = .string(user.email)
            claims["email_verified"] = .bool(false)
        }
        if scopes.contains("groups") { claims["groups"] = .strings(groups(of: user)) }
        return claims
    }

    /// The left half of the access token's SHA-256, base64url (OIDC Core §3.1.3.6).
    static func atHash(_ accessToken: String) -> String {
        OpaqueToken.base64URLEncode(Array(Array(SHA256.hash(data: Array(accessToken.utf8))).prefix(16)))
    }

    static func constantTimeEqual(_ left: String, _ right: String) -> Bool {
        let a = Array(left.utf8)
        let b = Array(right.utf8)
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    func refused(_ error: OIDCError, _ reason: String) -> OIDCError {
        metrics.oidcRefusal(reason)
        return error
    }

    private func audit(
        _ kind: AuditKind,
        client: OIDCClient,
        userID: Int64?,
        username: String? = nil,
        clientAddress: String,
        detail: String
    ) async throws {
        try await store.appendAudit(
            NewAuditEvent(
                kind: kind.rawValue,
                subjectUserID: userID,
                username: username,
                clientAddress: clientAddress,
                detail: "\(client.clientID): \(detail)"
            ),
            at: clock.now()
        )
    }
}
