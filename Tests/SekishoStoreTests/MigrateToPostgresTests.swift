import Foundation
import SekishoCore
import SekishoStore
import Testing

/// `migrate-to-postgres`: an SQLite installation copied into a real PostgreSQL server reads the
/// same through the PostgreSQL store, keeps its rules (replay guard, single-use codes) and ids.
@Suite struct MigrateToPostgresTests {
    @Test func everyTableIsCopiedAndReadsTheSame() async throws {
        try await withDatabase(.sqlite) { sqlite in
            try await withDatabase(.postgres) { postgres in
                let source = try await sqlite.openSQLite()
                let alice = try await makeUser(source, "alice")
                let bob = try await makeUser(source, "bob")
                let carol = try await makeUser(source, "carol", role: .admin)
                // A gap in the ids: copied ids must stay as they are, not be renumbered.
                _ = try await source.deleteUser(userID: bob.id, at: epoch, effects: .none)
                try await makeBinding(source, userID: alice.id, lastStep: 1234, codes: ["h1", "h2"])
                _ = try await source.consumeRecoveryCode(userID: alice.id, hash: "h1", at: epoch, effects: .none)
                try await makeSession(source, "session-a", userID: alice.id)
                try await charge(source, account: "carol")
                let mail = NewOutboxMail(recipient: "alice@example.com", subject: "Reset", textBody: "text", htmlBody: "<p>html</p>")
                _ = try await source.enqueueMail(mail, at: epoch)
                try await source.appendAudit(NewAuditEvent(kind: "sign_in", subjectUserID: alice.id, username: "alice", detail: "ok"), at: epoch)
                try await source.setSetting("mail.smtp.host", value: "smtp.example.com", at: epoch, effects: .none)
                try await source.createResetToken(
                    hash: "reset-1",
                    userID: alice.id,
                    at: epoch,
                    expiresAt: epoch.addingTimeInterval(900),
                    effects: .none
                )
                try await source.createSetupToken(hash: "setup-1", at: epoch, expiresAt: epoch.addingTimeInterval(3600))
                try await source.createAPIToken(hash: "api-1", name: "script", userID: carol.id, at: epoch, effects: .none)
                // The OpenID provider's tables refer to each other; `oidc_access_token` is copied
                // before the `oidc_client` and `oidc_grant` it refers to.
                _ = try await source.addOIDCSigningKeyIfNone(signingKey("rsa-1", .rs256, at: epoch), effects: .none)
                try await source.addOIDCClient(oidcClient("app"), effects: .none)
                let oidcTokens = try await issueTokens(source, userID: alice.id, clientID: "app")
                try await source.createClientAccessToken(
                    hash: "machine-1",
                    clientID: "app",
                    scope: "api",
                    at: epoch,
                    expiresAt: epoch.addingTimeInterval(60),
                    effects: .none
                )
                let sub = try await source.oidcSubject(userID: alice.id, candidate: "sub-a", at: epoch)
                try await source.saveOIDCConsent(userID: alice.id, clientID: "app", scope: "openid", at: epoch)
                _ = try await source.addPasskey(
                    Passkey(
                        userID: alice.id,
                        credentialID: Data([7, 7]),
                        publicKey: Data([1]),
                        algorithm: -7,
                        signCount: 3,
                        name: "Key",
                        createdAt: epoch
                    ),
                    effects: .none
                )
                _ = try await source.recordKnownBrowser(userID: alice.id, browserHash: "browser-a", at: epoch, effectsIfNew: .none)
                let remembered = RememberedBrowser(
                    tokenHash: "remembered-a",
                    userID: alice.id,
                    userAgent: "Firefox/128.0",
                    clientAddress: "192.0.2.7",
                    createdAt: epoch,
                    expiresAt: epoch.addingTimeInterval(86_400)
                )
                try await source.rememberBrowser(remembered, effects: .none)

                let target = try await postgres.openPostgres()
                let tables = try await target.copy(from: source)

                #expect(tables.count == 24)
                #expect(tables.allSatisfy { $0.sourceRows == $0.targetRows })
                #expect(tables.first { $0.name == "user" }?.targetRows == 2)
                #expect(tables.first { $0.name == "recovery_code" }?.targetRows == 2)

                #expect(try await target.user(id: alice.id) == source.user(id: alice.id))
                #expect(try await target.user(id: carol.id) == source.user(id: carol.id))
                #expect(try await target.binding(userID: alice.id) == source.binding(userID: alice.id))
                #expect(try await target.session(idHash: "session-a") == source.session(idHash: "session-a"))
                #expect(try await target.attempt(scope: .account, key: "carol") == source.attempt(scope: .account, key: "carol"))
                #expect(try await target.outboxMails(limit: 10) == source.outboxMails(limit: 10))
                #expect(
                    try await target.auditEvents(userID: nil, kind: nil, limit: 10, offset: 0)
                        == source.auditEvents(userID: nil, kind: nil, limit: 10, offset: 0)
                )
                #expect(try await target.setting("mail.smtp.host") == "smtp.example.com")
                #expect(try await target.passkeys(userID: alice.id) == source.passkeys(userID: alice.id))
                #expect(try await target.apiTokenUser(hash: "api-1", at: epoch)?.id == carol.id)
                #expect(try await target.oidcSigningKeys(retiredAfter: epoch) == source.oidcSigningKeys(retiredAfter: epoch))
                #expect(try await target.oidcClient(id: "app") == source.oidcClient(id: "app"))
                #expect(try await target.oidcAccessToken(hash: oidcTokens.accessTokenHash, at: epoch)?.grant?.userID == alice.id)
                #expect(try await target.oidcAccessToken(hash: "machine-1", at: epoch)?.clientID == "app")
                #expect(try await target.oidcSubject(userID: alice.id, candidate: "other", at: epoch) == sub)
                #expect(try await target.oidcConsent(userID: alice.id, clientID: "app") == "openid")
                #expect(try await target.rememberedBrowsers(userID: alice.id, at: epoch) == [remembered])
                #expect(try await target.recordKnownBrowser(userID: alice.id, browserHash: "browser-a", at: epoch, effectsIfNew: .none) == false)
                guard
                    case .issued = try await target.rotateRefreshToken(
                        hash: try #require(oidcTokens.refreshTokenHash),
                        clientID: "app",
                        at: epoch,
                        issuing: newTokens(),
                        effects: .none
                    )
                else {
                    Issue.record("the copied refresh token does not rotate")
                    return
                }
                // Copied, and still unusable: it only works while there are no users.
                #expect(tables.first { $0.name == "setup_token" }?.targetRows == 1)
                #expect(try await target.setupTokenIsUsable(hash: "setup-1", at: epoch) == false)

                // The rules hold on the copy: the used code stays used, the step only advances.
                #expect(try await target.consumeRecoveryCode(userID: alice.id, hash: "h1", at: epoch, effects: .none) == false)
                #expect(try await target.unusedRecoveryCodeCount(userID: alice.id) == 1)
                #expect(try await target.advanceLastStep(userID: alice.id, bindingID: String(alice.id), to: 1234, at: epoch, effects: .none) == false)
                #expect(try await target.consumeResetToken(hash: "reset-1", at: epoch, effects: .none) == alice.id)

                // New rows continue after the copied ids instead of colliding with them.
                let dave = try await makeUser(target, "dave")
                #expect(dave.id > carol.id)
                _ = try await target.enqueueMail(mail, at: epoch)
                #expect(try await target.outboxMails(limit: 10).count == 2)
            }
        }
    }

    @Test func aDatabaseInUseIsRefusedAndLeftAsItWas() async throws {
        try await withDatabase(.sqlite) { sqlite in
            try await withDatabase(.postgres) { postgres in
                let source = try await sqlite.openSQLite()
                _ = try await makeUser(source, "alice")
                let target = try await postgres.openPostgres()
                let existing = try await makeUser(target, "zed")

                await #expect(throws: PostgresStoreError.self) { _ = try await target.copy(from: source) }
                #expect(try await target.userCount() == 1)
                #expect(try await target.user(username: "zed") == existing)
                #expect(try await target.user(username: "alice") == nil)
            }
        }
    }
}
