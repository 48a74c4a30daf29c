import Foundation
import GRDB
import Logging

/// The embedded default store: one SQLite file in WAL mode, shared safely by several processes.
///
/// Every write commits with `synchronous = FULL`: a request is only acknowledged after its change
/// is on disk, so a crash never loses what a user was told had happened.
public final class SQLiteStore: Store, Sendable {
    let pool: DatabasePool
    public let location: String

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

    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.write(body)
        } catch let error as DatabaseError {
            throw Self.map(error)
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

    /// Writes the mails, audit events and attempt settlement of a change inside the change's transaction.
    static func apply(_ effects: SideEffects, in db: Database, at now: Date) throws {
        if let settlement = effects.attempt {
            try settle(settlement, in: db)
        }
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
        return db.lastInsertedRowID
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
