import Foundation
import SekishoCore
import SekishoStore
import Testing

/// The OpenID provider's part of the `Store` contract, on SQLite and a real PostgreSQL server.
@Suite struct OIDCStoreContractTests {
    @Test(arguments: StoreKind.allCases)
    func oneSigningKeyPerAlgorithmAndRotationKeepsPublishingTheRetiredOne(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            #expect(try await store.addOIDCSigningKeyIfNone(signingKey("rsa-1", .rs256, at: epoch), effects: .none))
            // A second instance starting at the same time keeps the first one's key.
            #expect(try await store.addOIDCSigningKeyIfNone(signingKey("rsa-2", .rs256, at: epoch), effects: .none) == false)
            #expect(try await store.addOIDCSigningKeyIfNone(signingKey("ec-1", .es256, at: epoch), effects: .none))
            #expect(try await store.oidcSigningKeys(retiredAfter: epoch).map(\.kid).sorted() == ["ec-1", "rsa-1"])

            let later = epoch.addingTimeInterval(100)
            try await store.rotateOIDCSigningKey(
                to: signingKey("rsa-3", .rs256, at: later),
                effects: SideEffects(audit: [NewAuditEvent(kind: "oidc_keys_rotated")])
            )
            let keys = try await store.oidcSigningKeys(retiredAfter: epoch)
            #expect(keys.map(\.kid) == ["rsa-3", "ec-1", "rsa-1"])
            #expect(keys.first { $0.kid == "rsa-1" }?.retiredAt == later)
            #expect(keys.first { $0.kid == "rsa-3" }?.retiredAt == nil)
            #expect(keys.first { $0.kid == "rsa-3" }?.sealedPrivateKey == Data("sealed rsa-3".utf8))
            // Once the retired key's tokens have expired it is no longer published.
            #expect(try await store.oidcSigningKeys(retiredAfter: later).map(\.kid) == ["rsa-3", "ec-1"])
            #expect(try await store.auditEvents(userID: nil, kind: "oidc_keys_rotated", limit: 10, offset: 0).count == 1)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func clientsRoundTripAndRemovingOneRemovesItsGrantsAndTokens(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let user = try await makeUser(store)
            var client = oidcClient("grafana")
            client.redirectURIs = ["https://grafana.example/login/generic_oauth", "http://localhost:3000/cb?a=b c"]
            client.allowedUserIDs = [user.id]
            client.accessPolicy = .listed
            client.signingAlgorithm = .es256
            client.skipConsent = true
            try await store.addOIDCClient(client, effects: .none)
            #expect(try await store.oidcClient(id: "grafana") == client)
            await #expect(throws: StoreError.duplicate("client grafana")) { try await store.addOIDCClient(client, effects: .none) }
            try await store.addOIDCClient(oidcClient("app", secretHash: nil), effects: .none)
            #expect(try await store.oidcClients().map(\.clientID) == ["app", "grafana"])
            #expect(try await store.oidcClient(id: "app")?.isPublic == true)

            try await store.saveOIDCConsent(userID: user.id, clientID: "grafana", scope: "openid", at: epoch)
            let tokens = try await issueTokens(store, userID: user.id, clientID: "grafana")
            #expect(try await store.oidcAccessToken(hash: tokens.accessTokenHash, at: epoch) != nil)

            #expect(try await store.removeOIDCClient(id: "grafana", at: epoch, effects: .none))
            #expect(try await store.removeOIDCClient(id: "grafana", at: epoch, effects: .none) == false)
            #expect(try await store.oidcClient(id: "grafana") == nil)
            #expect(try await store.oidcAccessToken(hash: tokens.accessTokenHash, at: epoch) == nil)
            #expect(try await store.oidcRefreshToken(hash: try #require(tokens.refreshTokenHash), at: epoch) == nil)
            #expect(try await store.oidcConsent(userID: user.id, clientID: "grafana") == nil)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func configuredClientsAreReplacedAndConsoleClientsKept(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            try await store.addOIDCClient(oidcClient("console-app"), effects: .none)
            try await store.replaceConfiguredOIDCClients([oidcClient("gitea"), oidcClient("old")], at: epoch)
            let user = try await makeUser(store)
            let tokens = try await issueTokens(store, userID: user.id, clientID: "gitea")

            var changed = oidcClient("gitea")
            changed.redirectURIs = ["https://gitea.example/new"]
            let later = epoch.addingTimeInterval(60)
            try await store.replaceConfiguredOIDCClients([changed], at: later)
            #expect(try await store.oidcClients().map(\.clientID) == ["console-app", "gitea"])
            let gitea = try #require(try await store.oidcClient(id: "gitea"))
            #expect(gitea.redirectURIs == ["https://gitea.example/new"])
            #expect(gitea.source == .config)
            #expect(gitea.createdAt == epoch)
            #expect(gitea.updatedAt == later)
            // A changed client keeps its grants.
            #expect(try await store.oidcAccessToken(hash: tokens.accessTokenHash, at: epoch) != nil)
            // The configuration cannot take over a client made at the console.
            await #expect(throws: StoreError.self) { try await store.replaceConfiguredOIDCClients([oidcClient("console-app")], at: later) }
            #expect(try await store.oidcClient(id: "console-app")?.source == .console)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aUsersSubjectIsMadeOnceAndNeverChanges(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let other = try await database.open()
            let user = try await makeUser(store)
            let subjects = try await withThrowingTaskGroup(of: String.self) { group in
                for index in 0..<20 {
                    let target = index.isMultiple(of: 2) ? store : other
                    group.addTask { try await target.oidcSubject(userID: user.id, candidate: "sub-\(index)", at: epoch) }
                }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(subjects.count == 1)
            try await store.renameUser(userID: user.id, to: "alicia", at: epoch, effects: .none)
            #expect(try await store.oidcSubject(userID: user.id, candidate: "new", at: epoch) == subjects.first)
            await #expect(throws: StoreError.notFound("user 999")) { _ = try await store.oidcSubject(userID: 999, candidate: "x", at: epoch) }
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aCodeIsSpentOnlyByItsClientRedirectURIAndVerifierWithinItsLife(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let user = try await makeUser(store)
            try await store.addOIDCClient(oidcClient("app"), effects: .none)
            try await store.addOIDCClient(oidcClient("other"), effects: .none)
            try await makeCode(store, "c1", userID: user.id, clientID: "app", challenge: "chal", nonce: "n-1")
            let right = CodePresentation(codeHash: "c1", clientID: "app", redirectURI: "https://app.example/cb", codeChallenge: "chal")
            let tokens = newTokens()

            var wrong = right
            wrong.clientID = "other"
            #expect(try await store.redeemAuthorizationCode(wrong, at: epoch, issuing: tokens, effects: .none) == .invalid)
            wrong = right
            wrong.redirectURI = "https://app.example/cb/"
            #expect(try await store.redeemAuthorizationCode(wrong, at: epoch, issuing: tokens, effects: .none) == .invalid)
            wrong = right
            wrong.codeChallenge = nil
            #expect(try await store.redeemAuthorizationCode(wrong, at: epoch, issuing: tokens, effects: .none) == .invalid)
            wrong.codeChallenge = "other"
            #expect(try await store.redeemAuthorizationCode(wrong, at: epoch, issuing: tokens, effects: .none) == .invalid)
            // 60 s later the code has expired.
            #expect(try await store.redeemAuthorizationCode(right, at: epoch.addingTimeInterval(60), issuing: tokens, effects: .none) == .invalid)
            #expect(try await store.oidcAccessToken(hash: tokens.accessTokenHash, at: epoch) == nil)

            let audit = SideEffects(audit: [NewAuditEvent(kind: "oidc_code_exchanged", subjectUserID: user.id)])
            guard case .issued(let grant, let nonce) = try await store.redeemAuthorizationCode(right, at: epoch, issuing: tokens, effects: audit)
            else {
                Issue.record("the right presentation was refused")
                return
            }
            #expect(nonce == "n-1")
            #expect(grant.userID == user.id && grant.clientID == "app" && grant.scope == "openid profile" && grant.amr == "pwd otp")
            let access = try #require(try await store.oidcAccessToken(hash: tokens.accessTokenHash, at: epoch))
            #expect(access.grant == grant && access.clientID == "app" && access.expiresAt == tokens.accessTokenExpiresAt)
            #expect(try await store.oidcRefreshToken(hash: try #require(tokens.refreshTokenHash), at: epoch)?.grant == grant)
            #expect(try await store.auditEvents(userID: user.id, kind: "oidc_code_exchanged", limit: 10, offset: 0).count == 1)
            // Expired tokens are not live.
            #expect(try await store.oidcAccessToken(hash: tokens.accessTokenHash, at: tokens.accessTokenExpiresAt) == nil)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aCodeUsedTwiceRevokesTheTokensItIssued(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let user = try await makeUser(store)
            try await store.addOIDCClient(oidcClient("app"), effects: .none)
            try await makeCode(store, "c1", userID: user.id, clientID: "app")
            let presented = CodePresentation(codeHash: "c1", clientID: "app", redirectURI: "https://app.example/cb", codeChallenge: nil)
            let first = newTokens()
            guard case .issued(let grant, _) = try await store.redeemAuthorizationCode(presented, at: epoch, issuing: first, effects: .none) else {
                Issue.record("the first use was refused")
                return
            }
            let second = newTokens()
            #expect(try await store.redeemAuthorizationCode(presented, at: epoch, issuing: second, effects: .none) == .replayed(grantID: grant.id))
            #expect(try await store.oidcAccessToken(hash: first.accessTokenHash, at: epoch) == nil)
            #expect(try await store.oidcRefreshToken(hash: try #require(first.refreshTokenHash), at: epoch) == nil)
            #expect(try await store.oidcAccessToken(hash: second.accessTokenHash, at: epoch) == nil)
            // Another client presenting the spent code learns nothing and revokes nothing more.
            var foreign = presented
            foreign.clientID = "other"
            #expect(try await store.redeemAuthorizationCode(foreign, at: epoch, issuing: second, effects: .none) == .invalid)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func refreshTokensRotateAndAReusedOneRevokesTheWholeFamily(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let user = try await makeUser(store)
            try await store.addOIDCClient(oidcClient("app"), effects: .none)
            try await store.addOIDCClient(oidcClient("other"), effects: .none)
            let first = try await issueTokens(store, userID: user.id, clientID: "app")
            let firstRefresh = try #require(first.refreshTokenHash)

            // Another client cannot use it, nor is it spent by trying.
            #expect(
                try await store.rotateRefreshToken(hash: firstRefresh, clientID: "other", at: epoch, issuing: newTokens(), effects: .none) == .invalid
            )
            let second = newTokens()
            guard
                case .issued(let grant, nil) = try await store.rotateRefreshToken(
                    hash: firstRefresh,
                    clientID: "app",
                    at: epoch,
                    issuing: second,
                    effects: .none
                )
            else {
                Issue.record("the rotation was refused")
                return
            }
            #expect(try await store.oidcRefreshToken(hash: firstRefresh, at: epoch) == nil)
            #expect(try await store.oidcRefreshToken(hash: try #require(second.refreshTokenHash), at: epoch)?.grant.id == grant.id)
            // The older access token lives on until it expires or the family ends.
            #expect(try await store.oidcAccessToken(hash: first.accessTokenHash, at: epoch) != nil)

            #expect(
                try await store.rotateRefreshToken(hash: firstRefresh, clientID: "app", at: epoch, issuing: newTokens(), effects: .none)
                    == .replayed(grantID: grant.id)
            )
            for hash in [first.accessTokenHash, second.accessTokenHash] {
                #expect(try await store.oidcAccessToken(hash: hash, at: epoch) == nil)
            }
            #expect(try await store.oidcRefreshToken(hash: try #require(second.refreshTokenHash), at: epoch) == nil)
            #expect(
                try await store.rotateRefreshToken(
                    hash: try #require(second.refreshTokenHash),
                    clientID: "app",
                    at: epoch,
                    issuing: newTokens(),
                    effects: .none
                )
                    == .invalid
            )
            // An expired refresh token is not rotated.
            let third = try await issueTokens(store, userID: user.id, clientID: "app", code: "c2")
            let expiry = try #require(third.refreshTokenExpiresAt)
            #expect(
                try await store.rotateRefreshToken(
                    hash: try #require(third.refreshTokenHash),
                    clientID: "app",
                    at: expiry,
                    issuing: newTokens(),
                    effects: .none
                )
                    == .invalid
            )
        }
    }

    @Test(arguments: StoreKind.allCases)
    func revocationEndsAnAccessTokenOrARefreshTokensFamilyOfItsOwnClientOnly(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let user = try await makeUser(store)
            try await store.addOIDCClient(oidcClient("app"), effects: .none)
            try await store.addOIDCClient(oidcClient("other"), effects: .none)
            let tokens = try await issueTokens(store, userID: user.id, clientID: "app")
            let refresh = try #require(tokens.refreshTokenHash)

            #expect(try await store.revokeOIDCToken(hash: tokens.accessTokenHash, clientID: "other", at: epoch, effects: .none) == .none)
            #expect(try await store.revokeOIDCToken(hash: refresh, clientID: "other", at: epoch, effects: .none) == .none)
            #expect(try await store.revokeOIDCToken(hash: "unknown", clientID: "app", at: epoch, effects: .none) == .none)
            #expect(try await store.oidcAccessToken(hash: tokens.accessTokenHash, at: epoch) != nil)

            let audit = SideEffects(audit: [NewAuditEvent(kind: "oidc_token_revoked")])
            #expect(try await store.revokeOIDCToken(hash: tokens.accessTokenHash, clientID: "app", at: epoch, effects: audit) == .accessToken)
            #expect(try await store.oidcAccessToken(hash: tokens.accessTokenHash, at: epoch) == nil)
            #expect(try await store.oidcRefreshToken(hash: refresh, at: epoch) != nil)
            #expect(try await store.revokeOIDCToken(hash: tokens.accessTokenHash, clientID: "app", at: epoch, effects: audit) == .none)

            guard case .refreshToken = try await store.revokeOIDCToken(hash: refresh, clientID: "app", at: epoch, effects: audit) else {
                Issue.record("the refresh token was not revoked")
                return
            }
            #expect(try await store.oidcRefreshToken(hash: refresh, at: epoch) == nil)
            #expect(try await store.rotateRefreshToken(hash: refresh, clientID: "app", at: epoch, issuing: newTokens(), effects: .none) == .invalid)
            #expect(try await store.auditEvents(userID: nil, kind: "oidc_token_revoked", limit: 10, offset: 0).count == 2)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func clientCredentialTokensActForTheClient(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            try await store.addOIDCClient(oidcClient("machine"), effects: .none)
            try await store.createClientAccessToken(
                hash: "m1",
                clientID: "machine",
                scope: "api",
                at: epoch,
                expiresAt: epoch.addingTimeInterval(300),
                effects: .none
            )
            let token = try #require(try await store.oidcAccessToken(hash: "m1", at: epoch))
            #expect(token.grant == nil && token.clientID == "machine" && token.scope == "api")
            #expect(try await store.revokeOIDCToken(hash: "m1", clientID: "machine", at: epoch, effects: .none) == .accessToken)
            #expect(try await store.oidcAccessToken(hash: "m1", at: epoch) == nil)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func deletingAUserEndsTheirGrants(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            _ = try await makeUser(store, "admin", role: .admin)
            let user = try await makeUser(store)
            try await store.addOIDCClient(oidcClient("app"), effects: .none)
            let tokens = try await issueTokens(store, userID: user.id, clientID: "app")
            _ = try await store.oidcSubject(userID: user.id, candidate: "s", at: epoch)
            #expect(try await store.deleteUser(userID: user.id, at: epoch, effects: .none))
            #expect(try await store.oidcAccessToken(hash: tokens.accessTokenHash, at: epoch) == nil)
            #expect(try await store.oidcClient(id: "app") != nil)
        }
    }
}

extension OIDCStoreContractTests {
    @Test(arguments: StoreKind.allCases)
    func purgeRemovesExpiredTokensAndFinishedGrants(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let user = try await makeUser(store)
            try await store.addOIDCClient(oidcClient("app"), effects: .none)
            let tokens = try await issueTokens(store, userID: user.id, clientID: "app")
            let refresh = try #require(tokens.refreshTokenHash)
            func rows(_ table: String) async throws -> Int? { try await rawCount(database, "SELECT COUNT(*) FROM \(table)") }

            // Within the day after use the spent code stays, so that using it again still revokes.
            _ = try await store.purgeExpired(at: epoch.addingTimeInterval(600), auditBefore: epoch, mailBefore: epoch)
            #expect(try await rows("oidc_authorization_code") == 1)
            #expect(try await rows("oidc_access_token") == 0)
            #expect(try await store.oidcRefreshToken(hash: refresh, at: epoch.addingTimeInterval(600)) != nil)

            // Two days on, the refresh token (one day) has expired too: nothing of the grant is left.
            _ = try await store.purgeExpired(at: epoch.addingTimeInterval(2 * 86_400), auditBefore: epoch, mailBefore: epoch)
            for table in ["oidc_authorization_code", "oidc_refresh_token", "oidc_grant"] {
                #expect(try await rows(table) == 0, "\(table)")
            }
            #expect(try await rows("oidc_client") == 1)
        }
    }
}

/// A confidential client of `https://app.example/cb` (secret hash "secret-hash" unless given).
func oidcClient(_ id: String, secretHash: String? = "secret-hash") -> OIDCClient {
    OIDCClient(
        clientID: id,
        secretHash: secretHash,
        name: id.capitalized,
        redirectURIs: ["https://app.example/cb"],
        postLogoutRedirectURIs: ["https://app.example/"],
        createdAt: epoch,
        updatedAt: epoch
    )
}

func signingKey(_ kid: String, _ algorithm: OIDCClient.SigningAlgorithm, at time: Date) -> OIDCSigningKey {
    OIDCSigningKey(kid: kid, algorithm: algorithm, sealedPrivateKey: Data("sealed \(kid)".utf8), createdAt: time)
}

/// A code of `userID` for `clientID` and `https://app.example/cb`, 60 s from `epoch`.
func makeCode(_ store: any Store, _ hash: String, userID: Int64, clientID: String, challenge: String? = nil, nonce: String? = nil) async throws {
    try await store.createAuthorizationCode(
        NewAuthorizationCode(
            codeHash: hash,
            redirectURI: "https://app.example/cb",
            codeChallenge: challenge,
            nonce: nonce,
            expiresAt: epoch.addingTimeInterval(60)
        ),
        grant: OIDCGrant(
            id: UUID().uuidString,
            clientID: clientID,
            userID: userID,
            scope: "openid profile",
            authTime: epoch,
            amr: "pwd otp",
            createdAt: epoch
        ),
        effects: .none
    )
}

/// Fresh random token hashes, the access token for 5 minutes and the refresh token for a day.
func newTokens() -> IssuedTokens {
    IssuedTokens(
        accessTokenHash: UUID().uuidString,
        accessTokenExpiresAt: epoch.addingTimeInterval(300),
        refreshTokenHash: UUID().uuidString,
        refreshTokenExpiresAt: epoch.addingTimeInterval(86_400)
    )
}

/// A code made and spent: the tokens of a new grant.
func issueTokens(_ store: any Store, userID: Int64, clientID: String, code: String = "c1") async throws -> IssuedTokens {
    try await makeCode(store, code, userID: userID, clientID: clientID)
    let tokens = newTokens()
    let presented = CodePresentation(codeHash: code, clientID: clientID, redirectURI: "https://app.example/cb", codeChallenge: nil)
    let result = try await store.redeemAuthorizationCode(presented, at: epoch, issuing: tokens, effects: .none)
    guard case .issued = result else { throw StoreError.notFound("code \(code): \(result)") }
    return tokens
}
