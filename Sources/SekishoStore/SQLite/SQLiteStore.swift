import Foundation
import GRDB
import GRDBSQLite
import Logging

/// The embedded default store: one SQLite file in WAL mode, shared safely by several processes.
///
/// Every write commits with `synchronous = FULL`: a request is only acknowledged after its change
/// is on disk, so a crash never loses what a user was told had happened.
public final class SQLiteStore: Store, Sendable {
    let pool: DatabasePool
    public let location: String
    public let writeHealth = WriteHealth()
    /// The longest a write waits for the write lock, counted from when it was asked for.
    let busyTimeout: Duration

    /// Opens (and creates if missing) the database file at `path`.
    public init(path: String, busyTimeout: TimeInterval = 5, logger: Logger? = nil) throws {
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
            try SQLiteMigrations.migrator.migrate(pool)
        } catch let error as DatabaseError {
            throw StoreError.unavailable("migration failed: \(error)")
        }
    }

    /// The names of the migrations applied so far, oldest first.
    public func appliedMigrations() async throws -> [String] {
        try await read { db in try SQLiteMigrations.migrator.appliedIdentifiers(db).sorted() }
    }

    public func ping() async throws {
        _ = try await read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    /// `PRAGMA integrity_check` result lines; `["ok"]` for a healthy file.
    public func integrityCheck() async throws -> [String] {
        try await read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
    }

    // MARK: - Access with errors mapped to the domain

    /// Reads run on the calling thread: GRDB's synchronous read takes a free reader connection and
    /// runs `body` inline (`dispatch_sync` on an idle queue does not switch threads). The async
    /// API switched threads twice per read, a third of the code check's time in the profile.
    /// Reads are short look-ups by key or small pages and never wait for the writer (WAL), so
    /// the task's thread is held for microseconds, as by any computation.
    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try readOnThisThread(inTransaction: true, body)
    }

    /// A read of one SQL statement, without the transaction around it that ``read(_:)`` opens:
    /// one statement sees one consistent state by itself, and BEGIN/COMMIT cost as much as the
    /// look-up (per-request reads: sessions, attempt counts, bindings).
    func readOneStatement<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try readOnThisThread(inTransaction: false, body)
    }

    /// Not async, so that it calls GRDB's synchronous reads.
    private func readOnThisThread<T>(inTransaction: Bool, _ body: (Database) throws -> T) throws -> T {
        do {
            return inTransaction ? try pool.read(body) : try pool.unsafeRead(body)
        } catch let error as DatabaseError {
            throw Self.map(error)
        }
    }

    /// Runs `body` in an IMMEDIATE transaction on the single writer connection, waiting at most
    /// the busy timeout in all, queueing included.
    ///
    /// GRDB runs writes one after another on one connection, and SQLite's busy timeout counts
    /// from each BEGIN: with the lock held by another process, the eighth of eight concurrent
    /// writes would wait eight timeouts. So each write takes a deadline when it is asked for and
    /// gives the connection only what is left of it; one whose time ran out in the queue fails
    /// at once. Every request then gets its 503 after at most about one timeout.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let deadline = ContinuousClock.now + busyTimeout
        let busyTimeout = busyTimeout
        do {
            let result = try await pool.writeWithoutTransaction { db -> T in
                let left = deadline - ContinuousClock.now
                guard left > .zero else {
                    throw StoreError.unavailable("database is locked: no write lock within \(busyTimeout) (database.busy_timeout)")
                }
                let milliseconds = left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000
                sqlite3_busy_timeout(db.sqliteConnection, Int32(clamping: max(milliseconds, 1)))
                var result: T?
                try db.inTransaction(.immediate) {
                    result = try body(db)
                    return .commit
                }
                guard let result else { throw StoreError.unavailable("write transaction ended without a result") }
                return result
            }
            writeHealth.succeeded()
            return result
        } catch let error as DatabaseError {
            let mapped = Self.map(error)
            if let unavailable = mapped as? StoreError { writeHealth.failed(unavailable.description) }
            throw mapped
        } catch let error as StoreError where error.isUnavailable {
            writeHealth.failed(error.description)
            throw error
        }
    }

    private static func map(_ error: DatabaseError) -> any Error {
        switch error.resultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_READONLY, .SQLITE_IOERR, .SQLITE_FULL, .SQLITE_CANTOPEN, .SQLITE_PERM:
            return StoreError.unavailable(error.message ?? "\(error.resultCode)")
        default:
            return error
        }
    }

    /// Writes the mails and audit events of a change inside the change's transaction.
    static func apply(_ effects: SideEffects, in db: Database, at now: Date) throws {
        for mail in effects.mails {
            try insertMail(mail, in: db, at: now)
        }
        for event in effects.audit {
            try insertAudit(event, in: db, at: now)
        }
    }

    @discardableResult
    static func insertMail(_ mail: NewOutboxMail, in db: Database, at now: Date) throws -> Int64 {
        try db.execute(
            sql: """
                INSERT INTO mail_outbox (recipient, subject, text_body, html_body, created_at, next_try_at)
                VALUES (?, ?, ?, ?, ?, ?)
                """,
            arguments: [mail.recipient, mail.subject, mail.textBody, mail.htmlBody, now.timeIntervalSince1970, now.timeIntervalSince1970]
        )
        let id = db.lastInsertedRowID
        if let secret = mail.secret {
            try db.execute(sql: "UPDATE mail_outbox SET sealed_body = ? WHERE id = ?", arguments: [try secret.seal(id, mail.recipient), id])
        }
        return id
    }

    static func insertAudit(_ event: NewAuditEvent, in db: Database, at now: Date) throws {
        // Cached: every sign-in writes an event.
        try db.cachedStatement(
            sql: """
                INSERT INTO audit_event (at, kind, actor_user_id, subject_user_id, username, client_address, detail)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(
            arguments: [
                now.timeIntervalSince1970, event.kind, event.actorUserID, event.subjectUserID, event.username, event.clientAddress,
                event.detail,
            ]
        )
    }
}

extension SQLiteStore {
    /// The first column of the first row of `sql`, as text; for tests and diagnostics only.
    package func rawValue(sql: String) async throws -> String? {
        try await read { db in try String.fetchOne(db, sql: sql) }
    }
}
