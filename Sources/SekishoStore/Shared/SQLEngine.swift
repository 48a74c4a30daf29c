import Foundation

/// How one database engine runs the store's statements; the store's rules and SQL are written
/// once in ``SQLStore`` and run through it.
///
/// Reads of one statement run as they come (SQLite on the calling thread, PostgreSQL on a pooled
/// connection); every change runs in ``write(_:)``, one transaction whose body is synchronous:
/// SQLite's writer allows no suspension inside a transaction, so the PostgreSQL engine runs the
/// body on a thread of its own and waits there for each statement's answer.
public protocol SQLEngine: Sendable {
    /// The engine's SQL where it differs.
    static var dialect: SQLDialect { get }
    /// Where the data lives, for operators (a path, or a URL without its password).
    var location: String { get }
    /// Creates or upgrades the schema (``SchemaMigrations``); safe on a migrated database.
    func migrate() async throws
    /// The names of the migrations applied so far, oldest first.
    func appliedMigrations() async throws -> [String]
    /// Runs one statement that changes nothing and decodes its rows.
    func read<T: Sendable>(_ sql: SQL, _ decode: @escaping @Sendable (any SQLRow) throws -> T) async throws -> [T]
    /// Runs one statement that changes data as a transaction of its own and decodes its rows.
    func writeOne<T: Sendable>(_ sql: SQL, _ decode: @escaping @Sendable (any SQLRow) throws -> T) async throws -> [T]
    /// Runs `body` in one transaction: all its changes are committed together, or none when it
    /// throws. Concurrent writers (other requests, processes, instances) never see half of it.
    func write<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T
}
