import GRDBSQLite

/// Holds SQLite's write lock on a database file from a second connection, as another process
/// (a console command, a second instance, a backup) would, until ``release()``.
final class SQLiteWriteLock {
    private var connection: OpaquePointer?

    init(path: String) throws {
        guard sqlite3_open(path, &connection) == SQLITE_OK else { throw BrowserError("cannot open \(path)") }
        guard sqlite3_exec(connection, "BEGIN EXCLUSIVE", nil, nil, nil) == SQLITE_OK else {
            sqlite3_close(connection)
            throw BrowserError("BEGIN EXCLUSIVE on \(path) failed")
        }
    }

    func release() {
        guard let connection else { return }
        sqlite3_exec(connection, "ROLLBACK", nil, nil, nil)
        sqlite3_close(connection)
        self.connection = nil
    }

    deinit { release() }
}
