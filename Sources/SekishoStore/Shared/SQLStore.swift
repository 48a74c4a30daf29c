import Foundation

/// Everything Sekisho keeps, written once for both engines: each rule and each statement of
/// ``Store`` lives in `SQLStore+*.swift` and runs through `Engine` (``SQLiteEngine`` for the
/// embedded default, ``PostgresEngine`` for several instances), which differs only in how it
/// connects, writes parameters and opens a transaction. What the two engines' SQL really does
/// differently is named in ``SQLDialect``.
///
/// Rules that must hold across processes (replay guard, single-use codes and tokens, attempt
/// charges) are single conditional statements, never read-then-write in Swift.
public final class SQLStore<Engine: SQLEngine>: Store, Sendable {
    public let engine: Engine
    public let writeHealth = WriteHealth()

    init(engine: Engine) {
        self.engine = engine
    }

    public var location: String { engine.location }

    public func migrate() async throws {
        try await engine.migrate()
    }

    /// The names of the migrations applied so far, oldest first.
    /// The names of the migrations applied, in the order they run (names from a newer version
    /// of Sekisho, unknown here, last): `v10-…` follows `v9-…`, which sorting by name would not.
    public func appliedMigrations() async throws -> [String] {
        let applied = try await engine.appliedMigrations()
        let known = SchemaMigrations.all.map(\.name)
        return known.filter(applied.contains) + applied.filter { !known.contains($0) }.sorted()
    }

    public func ping() async throws {
        _ = try await engine.read("SELECT 1 AS one") { try $0.int64("one") }
    }

    // MARK: - Running statements

    func read<T: Sendable>(_ sql: SQL, _ decode: @escaping @Sendable (any SQLRow) throws -> T) async throws -> [T] {
        try await engine.read(sql, decode)
    }

    func readOne<T: Sendable>(_ sql: SQL, _ decode: @escaping @Sendable (any SQLRow) throws -> T) async throws -> T? {
        try await engine.read(sql, decode).first
    }

    func count(_ sql: SQL) async throws -> Int {
        try await readOne(sql) { try $0.int("n") } ?? 0
    }

    /// Every change goes through here; whether the database took it is what ``writeHealth``
    /// tells `/readyz`.
    func write<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        try await recordingHealth { try await engine.write(body) }
    }

    private func recordingHealth<T: Sendable>(_ change: () async throws -> T) async throws -> T {
        do {
            let result = try await change()
            writeHealth.succeeded()
            return result
        } catch let error as StoreError where error.isUnavailable {
            writeHealth.failed(error.description)
            throw error
        }
    }

    /// Runs `change` as one transaction: step by step on SQLite, as one statement on PostgreSQL
    /// (see ``GuardedChange``).
    func run(_ change: GuardedChange) async throws -> GuardedChange.Outcome {
        switch Engine.dialect {
        case .sqlite:
            return try await write { db in try change.runStepByStep(in: db) }
        case .postgres:
            let outcome = try await recordingHealth { try await engine.writeOne(change.asOneStatement, GuardedChange.outcome(of:)) }
            return outcome.first ?? .guardUnchanged
        }
    }

    /// Writes the mails, audit events and attempt settlement of a change inside the change's
    /// transaction: a crash never leaves the change without them, nor them without the change.
    static func apply(_ effects: SideEffects, in db: any SQLConnection, at now: Date) throws {
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
}

extension SQLStore {
    /// Every row of `sql` as text (NULL as nil); for tests and diagnostics only.
    package func textRows(sql: String) async throws -> [[String?]] {
        try await read(SQL(stringLiteral: sql)) { row in
            try row.columnNames.map { column -> String? in
                switch try row.value(column) {
                case .text(let text): text
                case .integer(let integer): String(integer)
                case .real(let real): String(real)
                case .bool(let bool): bool ? "1" : "0"
                case .blob(let data): data.base64EncodedString()
                case .null: nil
                }
            }
        }
    }

    /// Runs `sql` as a change in its own transaction; for tests only (a database in an older shape).
    package func executeRaw(sql: String) async throws {
        try await write { db in _ = try db.execute(SQL(stringLiteral: sql)) }
    }

    /// The first column of the first row of `sql`, as text; for tests and diagnostics only.
    package func rawValue(sql: String) async throws -> String? {
        try await textRows(sql: sql).first?.first ?? nil
    }
}
