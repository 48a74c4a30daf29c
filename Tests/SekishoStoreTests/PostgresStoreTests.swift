import Foundation
import PostgresTesting
import SekishoStore
import TestSupport
import Testing

/// What only the PostgreSQL store has: its migrations, column types, URL and connection errors.
@Suite struct PostgresStoreTests {
    @Test func migratesAnEmptyDatabaseAndIsIdempotent() async throws {
        try await withDatabase(.postgres) { database in
            let store = try await database.openPostgres()
            #expect(
                try await store.appliedMigrations() == [
                    "v1-initial-schema", "v2-admin-tokens", "v3-one-schema", "v4-sealed-mail-bodies", "v5-oidc-provider", "v6-binding-drift",
                    "v7-passkeys", "v8-account-security", "v9-totp-apps", "v10-passwordless",
                ]
            )
            _ = try await makeUser(store)
            let reopened = try await database.openPostgres()
            #expect(
                try await reopened.appliedMigrations() == [
                    "v1-initial-schema", "v2-admin-tokens", "v3-one-schema", "v4-sealed-mail-bodies", "v5-oidc-provider", "v6-binding-drift",
                    "v7-passkeys", "v8-account-security", "v9-totp-apps", "v10-passwordless",
                ]
            )
            #expect(try await reopened.userCount() == 1)
            try await reopened.ping()
        }
    }

    @Test func instancesStartingTogetherMigrateOnce() async throws {
        try await withDatabase(.postgres) { database in
            // The advisory lock makes the second wait and then find everything applied.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 {
                    group.addTask { _ = try await database.openPostgres(poolSize: 1) }
                }
                try await group.waitForAll()
            }
            let store = try await database.openPostgres()
            #expect(try await store.rawValue(sql: "SELECT COUNT(*)::text FROM schema_migrations") == "10")
        }
    }

    @Test func datesAreDoublesAndFlagsBooleans() async throws {
        try await withDatabase(.postgres) { database in
            let store = try await database.openPostgres()
            let user = try await makeUser(store)
            try await makeBinding(store, userID: user.id, lastStep: 3)
            #expect(try await store.binding(userID: user.id)?.confirmedAt == epoch)
            #expect(try await store.rawValue(sql: "SELECT pg_typeof(confirmed_at)::text FROM totp_binding") == "double precision")
            #expect(try await store.rawValue(sql: #"SELECT created_at::text FROM "user""#) == "1800000000")
            #expect(try await store.rawValue(sql: #"SELECT pg_typeof(two_factor_enabled)::text FROM "user""#) == "boolean")
            #expect(try await store.rawValue(sql: "SELECT pg_typeof(sealed_secret)::text FROM totp_binding") == "bytea")
            #expect(try await store.rawValue(sql: "SELECT encode(sealed_secret, 'hex') FROM totp_binding") == "040506")
        }
    }

    @Test func aPreparedReadSurvivesAnotherInstancesMigrationOfItsTable() async throws {
        try await withDatabase(.postgres) { database in
            // One connection, so that the second read finds the statement prepared by the first.
            let store = try await database.openPostgres(poolSize: 1)
            let user = try await makeUser(store)
            try await makeBinding(store, userID: user.id, lastStep: 3)
            #expect(try await store.binding(userID: user.id)?.lastStep == 3)
            // A new column changes what `SELECT *` answers: PostgreSQL refuses the prepared
            // statement once, and the store prepares it anew.
            let other = try await database.openPostgres(poolSize: 1)
            _ = try await other.textRows(sql: "ALTER TABLE totp_binding ADD COLUMN added_later TEXT")
            #expect(try await store.binding(userID: user.id)?.lastStep == 3)
        }
    }

    @Test func theOutboxIndexCoversOnlyMailsToSend() async throws {
        try await withDatabase(.postgres) { database in
            let store = try await database.openPostgres()
            let definition = try #require(try await store.rawValue(sql: "SELECT indexdef FROM pg_indexes WHERE indexname = 'mail_outbox_due'"))
            #expect(definition.contains("WHERE ((sent_at IS NULL) AND (failed_at IS NULL))"))
        }
    }

    @Test func locationHidesThePassword() async throws {
        let store = try PostgresStore(url: "postgres://app:s3cret@db.example.com:6432/sekisho", poolSize: 2)
        #expect(store.location == "postgres://app@db.example.com:6432/sekisho")
        #expect(!store.location.contains("s3cret"))
    }

    @Test func urlsAreParsedWithDecodedCredentials() throws {
        let url = try PostgresURL("postgres://se%40kisho:p%40ss%3Aw%2Frd@127.0.0.1:5433/auth")
        #expect(url.username == "se@kisho")
        #expect(url.password == "p@ss:w/rd")
        #expect(url.host == "127.0.0.1")
        #expect(url.port == 5433)
        #expect(url.database == "auth")
        #expect(url.sslMode == .disable)

        let remote = try PostgresURL("postgresql://app@db.internal/auth")
        #expect(remote.port == 5432)
        #expect(remote.password == nil)
        #expect(remote.sslMode == .verifyFull)
        #expect(try PostgresURL("postgres://app@db.internal/auth?sslmode=require").sslMode == .require)
        #expect(try PostgresURL("postgres://app@[::1]:5432/auth").host == "::1")
        #expect(try PostgresURL("postgres://app@localhost/auth").sslMode == .disable)
        #expect(try PostgresURL("postgres://app@localhost").database == nil)
    }

    @Test(arguments: [
        ("mysql://u:p@h/db", "postgres://"),
        ("postgres:///db", "no host"),
        ("postgres://h/db", "no user name"),
        ("postgres://u@h/db/extra", "single database name"),
        ("postgres://u@h/db?sslmode=maybe", "sslmode"),
        ("postgres://u@h/db?timeout=3", "unknown parameter timeout"),
        ("not a url at all", "postgres://"),
    ])
    func malformedURLsAreClearErrors(url: String, message: String) throws {
        let error = try #require(throws: PostgresURL.ParseError.self) { _ = try PostgresStore(url: url, poolSize: 1) }
        #expect(error.description.contains(message), "\(error.description)")
    }

    @Test func aPoolNeedsAConnection() throws {
        #expect(throws: PostgresStoreError.self) { _ = try PostgresStore(url: "postgres://u@localhost/db", poolSize: 0) }
    }

    @Test func aWrongPasswordIsAClearStartUpError() async throws {
        let port = try await PostgresTestServer.shared.port()
        let store = try PostgresStore(url: "postgres://\(PostgresTestServer.username):wrong@127.0.0.1:\(port)/postgres", poolSize: 1)
        let error = try await #require(throws: StoreError.self) { try await store.migrate() }
        #expect(error.isUnavailable)
        #expect(error.description.contains("password authentication failed"), "\(error)")
        #expect(!error.description.contains("wrong"))
    }

    @Test func aMissingDatabaseIsAClearStartUpError() async throws {
        let port = try await PostgresTestServer.shared.port()
        let url = "postgres://\(PostgresTestServer.username):\(PostgresTestServer.encodedPassword)@127.0.0.1:\(port)/nonexistent"
        let error = try await #require(throws: StoreError.self) { try await PostgresStore(url: url, poolSize: 1).migrate() }
        #expect(error.isUnavailable)
        #expect(error.description.contains("does not exist"), "\(error)")
    }

    @Test func anUnreachableServerIsAClearStartUpError() async throws {
        // A port held by us, not listening: nothing listens there, and no other test can take it.
        try await FreePort.withUnused { port in
            let store = try PostgresStore(url: "postgres://u:p@127.0.0.1:\(port)/db", poolSize: 1)
            let error = try await #require(throws: StoreError.self) { try await store.checkConnection() }
            #expect(error.isUnavailable)
            #expect(error.description.contains("cannot reach postgres://u@127.0.0.1:\(port)/db"), "\(error)")
            #expect(error.description.lowercased().contains("refused"), "\(error)")
            // In words, with host and port: no SwiftNIO type names or errno numbers (issue 18, item 13).
            #expect(error.description.contains("(host 127.0.0.1, port \(port)): connection refused"), "\(error)")
            #expect(!error.description.contains("SingleConnectionFailure"), "\(error)")
            #expect(!error.description.contains("NIOConnectionError"), "\(error)")
            #expect(!error.description.contains("errno"), "\(error)")
        }
    }
}
