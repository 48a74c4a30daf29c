import Foundation
import SekishoStore
import Testing

/// What only the SQLite store has: its migrator, its file, its column types.
@Suite struct SQLiteStoreTests {
    @Test func migratesAnEmptyDatabaseAndIsIdempotent() async throws {
        try await withDatabase(.sqlite) { database in
            let store = try await database.openSQLite()
            #expect(
                try await store.appliedMigrations() == [
                    "v1-initial-schema", "v2-admin-tokens", "v3-one-schema", "v4-sealed-mail-bodies", "v5-oidc-provider", "v6-binding-drift",
                    "v7-passkeys", "v8-account-security", "v9-totp-apps", "v10-passwordless",
                ]
            )
            _ = try await makeUser(store)

            // A second start on the same file: nothing re-run, data kept.
            let reopened = try await database.openSQLite()
            #expect(
                try await reopened.appliedMigrations() == [
                    "v1-initial-schema", "v2-admin-tokens", "v3-one-schema", "v4-sealed-mail-bodies", "v5-oidc-provider", "v6-binding-drift",
                    "v7-passkeys", "v8-account-security", "v9-totp-apps", "v10-passwordless",
                ]
            )
            #expect(try await reopened.userCount() == 1)
            #expect(try await reopened.integrityCheck() == ["ok"])
        }
    }

    @Test func datesAreStoredAsSecondsAndIDsMapToColumns() async throws {
        try await withDatabase(.sqlite) { database in
            let store = try await database.openSQLite()
            let user = try await makeUser(store)
            try await makeBinding(store, userID: user.id, lastStep: 3)
            // Round trip through the record types...
            #expect(try await store.binding(userID: user.id)?.confirmedAt == epoch)
            #expect(try await store.user(id: user.id)?.createdAt == epoch)
            // ...and numbers in the file, so SQL compares times numerically.
            #expect(try await store.rawValue(sql: "SELECT typeof(confirmed_at) FROM totp_binding") == "real")
            #expect(try await store.rawValue(sql: "SELECT typeof(created_at) FROM user") == "real")
        }
    }
}
