import Foundation
import GRDB
import GRDBSQLite
import Logging

/// The embedded default store: one SQLite file in WAL mode, shared safely by several processes.
public typealias SQLiteStore = SQLStore<SQLiteEngine>

extension SQLStore where Engine == SQLiteEngine {
    /// Opens (and creates if missing) the database file at `path`.
    public convenience init(path: String, busyTimeout: TimeInterval = 5) throws {
        self.init(engine: try SQLiteEngine(path: path, busyTimeout: busyTimeout))
    }

    /// `PRAGMA integrity_check` result lines; `["ok"]` for a healthy file.
    public func integrityCheck() async throws -> [String] {
        try await read("PRAGMA integrity_check") { try $0.string($0.columnNames.first ?? "") }
    }
}

/// Runs the store's statements on SQLite through GRDB.
///
/// Every write commits with `synchronous = FULL`: a request is only acknowledged after its change
/// is on disk, so a crash never loses what a user was told had happened.
public final class SQLiteEngine: SQLEngine {
    public static let dialect = SQLDialect.sqlite
    let pool: DatabasePool
    public let location: String
    /// The longest a write waits for the write lock, counted from when it was asked for.
    let busyTimeout: Duration

    init(path: String, busyTimeout: TimeInterval) throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        // Another process (a second instance, the CLI) may hold the write lock for a moment.
        configuration.busyMode = .timeout(busyTimeout)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw StoreError.unavailable("cannot open \(path): \(error)")
        }
        location = path
        self.busyTimeout = .milliseconds(Int64(busyTimeout * 1000))
    }

    public func migrate() async throws {
        do {
            // Synchronous in GRDB; it runs once, before the server accepts requests.
            try SQLiteMigrator.migrator.migrate(pool)
        } catch let error as DatabaseError {
            throw StoreError.unavailable("migration failed: \(error)")
        }
    }

    public func appliedMigrations() async throws -> [String] {
        try mapped { try pool.read { db in try SQLiteMigrator.migrator.appliedIdentifiers(db).sorted() } }
    }

    /// Reads run on the calling thread: GRDB's synchronous read takes a free reader connection and
    /// runs inline (`dispatch_sync` on an idle queue does not switch threads); the async API
    /// switched threads twice per read, a third of the code check's time in the profile. One
    /// statement sees one consistent state by itself, so no BEGIN/COMMIT is spent around it, and
    /// it never waits for the writer (WAL): the task's thread is held for microseconds.
    public func read<T: Sendable>(_ sql: SQL, _ decode: @escaping @Sendable (any SQLRow) throws -> T) async throws -> [T] {
        try mapped { try pool.unsafeRead { db in try SQLiteConnection(db: db).rows(sql).map(decode) } }
    }

    public func writeOne<T: Sendable>(_ sql: SQL, _ decode: @escaping @Sendable (any SQLRow) throws -> T) async throws -> [T] {
        try await write { db in try db.rows(sql).map(decode) }
    }

    /// Runs `body` in an IMMEDIATE transaction on the single writer connection, waiting at most
    /// the busy timeout in all, queueing included.
    ///
    /// GRDB runs writes one after another on one connection, and SQLite's busy timeout counts
    /// from each BEGIN: with the lock held by another process, the eighth of eight concurrent
    /// writes would wait eight timeouts. So each write takes a deadline when it is asked for and
    /// gives the connection only what is left of it; one whose time ran out in the queue fails
    /// at once. Every request then gets its 503 after at most about one timeout.
    public func write<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        let deadline = ContinuousClock.now + busyTimeout
        let busyTimeout = busyTimeout
        do {
            return try await pool.writeWithoutTransaction { db -> T in
                let left = deadline - ContinuousClock.now
                guard left > .zero else {
                    throw StoreError.unavailable("database is locked: no write lock within \(busyTimeout) (database.busy_timeout)")
                }
                let milliseconds = left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000
                sqlite3_busy_timeout(db.sqliteConnection, Int32(clamping: max(milliseconds, 1)))
                var result: T?
                try db.inTransaction(.immediate) {
                    result = try body(SQLiteConnection(db: db))
                    return .commit
                }
                guard let result else { throw StoreError.unavailable("write transaction ended without a result") }
                return result
            }
        } catch let error as DatabaseError {
            throw Self.map(error)
        }
    }

    private func mapped<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DatabaseError {
            throw Self.map(error)
        }
    }

    private static func map(_ error: DatabaseError) -> any Error {
        if error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE || error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY {
            return StoreError.duplicate(error.message ?? "row")
        }
        switch error.resultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_READONLY, .SQLITE_IOERR, .SQLITE_FULL, .SQLITE_CANTOPEN, .SQLITE_PERM:
            return StoreError.unavailable(error.message ?? "\(error.resultCode)")
        default:
            return error
        }
    }
}

/// GRDB's connection as the store's operations see it. Statements are prepared once per
/// connection and kept (GRDB's statement cache, keyed by their text): every sign-in runs the same
/// few statements.
struct SQLiteConnection: SQLConnection {
    let db: Database

    var dialect: SQLDialect { .sqlite }

    func rows(_ sql: SQL) throws -> [any SQLRow] {
        let (statement, arguments) = try prepared(sql)
        return try Row.fetchAll(statement, arguments: arguments).map(SQLiteRow.init)
    }

    @discardableResult
    func execute(_ sql: SQL) throws -> Int {
        let (statement, arguments) = try prepared(sql)
        try statement.execute(arguments: arguments)
        return db.changesCount
    }

    private func prepared(_ sql: SQL) throws -> (Statement, StatementArguments) {
        let (text, values) = sql.rendered { _ in "?" }
        return (try db.cachedStatement(sql: text), StatementArguments(values.map(\.databaseValue)))
    }
}

struct SQLiteRow: SQLRow {
    let row: Row

    var columnNames: [String] { Array(row.columnNames) }

    func value(_ column: String) throws -> SQLValue {
        guard row.hasColumn(column) else { throw StoreError.unreadable("no column \(column)") }
        let value: DatabaseValue = row[column]
        return switch value.storage {
        case .null: .null
        case .int64(let integer): .integer(integer)
        case .double(let real): .real(real)
        case .string(let text): .text(text)
        case .blob(let data): .blob(data)
        }
    }
}

extension SQLValue {
    /// Booleans are 0 and 1 in SQLite; times are already seconds.
    var databaseValue: DatabaseValue {
        switch self {
        case .text(let text): text.databaseValue
        case .real(let real): real.databaseValue
        case .integer(let integer): integer.databaseValue
        case .bool(let bool): (bool ? 1 : 0).databaseValue
        case .blob(let data): data.databaseValue
        case .null: .null
        }
    }
}
