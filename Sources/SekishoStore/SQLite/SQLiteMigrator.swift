import GRDB

/// ``SchemaMigrations`` as GRDB's migrator runs them: each migration in its own transaction,
/// recorded by name in `grdb_migrations`.
enum SQLiteMigrator {
    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        for migration in SchemaMigrations.all {
            migrator.registerMigration(migration.name) { db in
                for statement in migration.statements(.sqlite) {
                    try db.execute(sql: statement)
                }
            }
        }
        return migrator
    }()
}
