import Foundation
import Logging
import PostgresNIO

/// ``SchemaMigrations`` on PostgreSQL, recorded by name in `schema_migrations`, all in one
/// transaction under an advisory lock.
enum PostgresMigrations {
    /// Any fixed number: instances starting together take turns on this transaction-scoped lock,
    /// so that two never run the same migration.
    private static let lockKey: Int64 = 0x5345_4B49_5348_4F00  // "SEKISHO\0"

    /// Applies the missing migrations in one transaction; safe on a migrated database and from
    /// several instances at once.
    static func migrate(on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.withTransaction(logger: logger) { connection in
            _ = try await connection.query("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger).collect()
            _ = try await connection.query(
                "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at DOUBLE PRECISION NOT NULL)",
                logger: logger
            ).collect()
            var applied: Set<String> = []
            for try await name in try await connection.query("SELECT name FROM schema_migrations", logger: logger).decode(String.self) {
                applied.insert(name)
            }
            for migration in SchemaMigrations.all where !applied.contains(migration.name) {
                logger.info("applying database migration", metadata: ["migration": "\(migration.name)"])
                for statement in migration.statements(.postgres) {
                    _ = try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger).collect()
                }
                _ = try await connection.query(
                    "INSERT INTO schema_migrations (name, applied_at) VALUES (\(migration.name), \(Date().timeIntervalSince1970))",
                    logger: logger
                ).collect()
            }
        }
    }
}
