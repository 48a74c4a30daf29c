import Foundation
import SekishoCore
import SekishoStore
import Testing

/// Many requests at once with one code or one refresh token, through two store objects (two
/// processes): exactly one is issued tokens.
@Suite struct OIDCBurstTests {
    @Test(arguments: StoreKind.allCases)
    func aBurstOfRedemptionsOfOneCodeHasExactlyOneWinner(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let other = try await database.open()
            let user = try await makeUser(store)
            try await store.addOIDCClient(oidcClient("app"), effects: .none)
            try await makeCode(store, "burst", userID: user.id, clientID: "app", challenge: "chal")
            let presented = CodePresentation(codeHash: "burst", clientID: "app", redirectURI: "https://app.example/cb", codeChallenge: "chal")
            let results = try await withThrowingTaskGroup(of: GrantExchange.self) { group in
                for index in 0..<40 {
                    let target = index.isMultiple(of: 2) ? store : other
                    group.addTask { try await target.redeemAuthorizationCode(presented, at: epoch, issuing: newTokens(), effects: .none) }
                }
                return try await group.reduce(into: [GrantExchange]()) { $0.append($1) }
            }
            let issued = results.filter { if case .issued = $0 { true } else { false } }
            #expect(issued.count == 1)
            #expect(results.filter { if case .replayed = $0 { true } else { false } }.count == 39)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aBurstOfRotationsOfOneRefreshTokenHasExactlyOneWinner(kind: StoreKind) async throws {
        try await withDatabase(kind) { database in
            let store = try await database.open()
            let other = try await database.open()
            let user = try await makeUser(store)
            try await store.addOIDCClient(oidcClient("app"), effects: .none)
            let tokens = try await issueTokens(store, userID: user.id, clientID: "app")
            let refresh = try #require(tokens.refreshTokenHash)
            let successors = (0..<40).map { _ in newTokens() }
            let results = try await withThrowingTaskGroup(of: (Int, GrantExchange).self) { group in
                for index in 0..<40 {
                    let target = index.isMultiple(of: 2) ? store : other
                    group.addTask {
                        (
                            index,
                            try await target.rotateRefreshToken(hash: refresh, clientID: "app", at: epoch, issuing: successors[index], effects: .none)
                        )
                    }
                }
                return try await group.reduce(into: [(Int, GrantExchange)]()) { $0.append($1) }
            }
            let winners = results.filter { if case .issued = $0.1 { true } else { false } }
            #expect(winners.count == 1)
            // The others presented a spent token: the family, the winner's new token with it, is revoked.
            for (index, _) in winners {
                #expect(try await store.oidcRefreshToken(hash: try #require(successors[index].refreshTokenHash), at: epoch) == nil)
            }
            // Exactly one successor refresh token was ever stored.
            #expect(try await rawCount(database, "SELECT COUNT(*) FROM oidc_refresh_token") == 2)
        }
    }
}

/// The number `sql` counts, read through a separate store object on the same database.
func rawCount(_ database: TemporaryDatabase, _ sql: String) async throws -> Int? {
    let text =
        switch database.kind {
        case .sqlite: try await database.openSQLite().rawValue(sql: sql)
        case .postgres: try await database.openPostgres(poolSize: 1).rawValue(sql: sql)
        }
    return text.flatMap { Int($0) }
}
