import Foundation
import GRDB
import NIOCore
import PostgresNIO

/// One table of `migrate-to-postgres`: the rows in the SQLite file and in PostgreSQL afterwards.
public struct CopiedTable: Sendable, Equatable, CustomStringConvertible {
    public let name: String
    public let sourceRows: Int
    public let targetRows: Int

    public var description: String { "\(name): \(sourceRows) → \(targetRows)" }
}

extension SQLStore where Engine == PostgresEngine {
    /// Copies a whole SQLite installation (users, authenticators, recovery codes, sessions,
    /// lockouts, mail queue, settings, audit log, tokens) into this database, then compares the
    /// row counts of every table.
    ///
    /// The target is migrated first and must be empty: the copy keeps the SQLite row ids (users
    /// are referenced by id everywhere), which would collide with existing rows. Everything is
    /// read in one SQLite read transaction and written in one PostgreSQL transaction, so a failure
    /// half-way leaves the target as empty as it was. Values are copied unchanged: both schemas
    /// store times as seconds since 1970 and secrets sealed with the same key file.
    ///
    /// The columns come from PostgreSQL's catalogue, so a later migration's new columns are copied
    /// without changes here, provided both databases have run the same migrations (checked).
    public func copy(from source: SQLiteStore) async throws -> [CopiedTable] {
        try await migrate()
        let sourceMigrations = try await source.appliedMigrations()
        let targetMigrations = try await appliedMigrations()
        guard sourceMigrations == targetMigrations else {
            throw PostgresStoreError(
                sqlState: nil,
                message: "the SQLite database has migrations \(sourceMigrations) but this Sekisho expects \(targetMigrations): "
                    + "start this version of Sekisho once on the SQLite file first"
            )
        }
        let tables = try await copiedTables()
        let snapshot = try await source.rows(of: tables.map { ($0.name, $0.columns.map(\.name)) })
        try await engine.transaction { connection in
            for table in tables {
                let rows = try await engine.query("SELECT 1 AS one FROM \(unescaped: table.quotedName) LIMIT 1", on: connection)
                guard rows.isEmpty else {
                    throw PostgresStoreError(
                        sqlState: nil,
                        message: "table \(table.name) in \(location) is not empty; migrate-to-postgres only copies into a new database"
                    )
                }
            }
            for table in tables {
                try await insert(snapshot[table.name] ?? [], into: table, on: connection)
            }
        }
        var counts: [CopiedTable] = []
        for table in tables {
            let target = try await engine.query("SELECT count(*) AS n FROM \(unescaped: table.quotedName)").first.required("count")("n", as: Int.self)
            counts.append(CopiedTable(name: table.name, sourceRows: snapshot[table.name]?.count ?? 0, targetRows: target))
        }
        return counts
    }

    /// A table to copy and its columns with PostgreSQL's types, `user` first (every foreign key
    /// points at it), then by name.
    private func copiedTables() async throws -> [CopiedTableSchema] {
        let rows = try await engine.query(
            """
            SELECT table_name::text AS table_name, column_name::text AS column_name, data_type::text AS data_type,
                   is_identity::text AS is_identity
            FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name <> 'schema_migrations'
            ORDER BY table_name, ordinal_position
            """
        )
        var tables: [String: CopiedTableSchema] = [:]
        for row in rows {
            let name = try row("table_name", as: String.self)
            let column = CopiedTableSchema.Column(
                name: try row("column_name", as: String.self),
                type: try row("data_type", as: String.self),
                isIdentity: try row("is_identity", as: String.self) == "YES"
            )
            tables[name, default: CopiedTableSchema(name: name, columns: [])].columns.append(column)
        }
        return tables.values.sorted { ($0.name == "user" ? 0 : 1, $0.name) < ($1.name == "user" ? 0 : 1, $1.name) }
    }

    /// Inserts in batches of multi-row `VALUES`, keeping identity values, then moves each
    /// identity's sequence past the largest copied id so that new rows do not collide.
    private func insert(_ rows: [[DatabaseValue]], into table: CopiedTableSchema, on connection: PostgresConnection) async throws {
        let columnList = table.columns.map { "\"\($0.name)\"" }.joined(separator: ", ")
        // PostgreSQL allows 65,535 parameters per statement; stay well below.
        let batchSize = max(1, 2_000 / table.columns.count)
        var start = 0
        while start < rows.count {
            let batch = rows[start..<min(start + batchSize, rows.count)]
            var bindings = PostgresBindings(capacity: batch.count * table.columns.count)
            var tuples: [String] = []
            for row in batch {
                var placeholders: [String] = []
                for (value, column) in zip(row, table.columns) {
                    try Self.bind(value, as: column, of: table.name, into: &bindings)
                    placeholders.append("$\(bindings.count)")
                }
                tuples.append("(" + placeholders.joined(separator: ", ") + ")")
            }
            let sql = "INSERT INTO \(table.quotedName) (\(columnList)) OVERRIDING SYSTEM VALUE VALUES " + tuples.joined(separator: ", ")
            try await engine.query(PostgresQuery(unsafeSQL: sql, binds: bindings), on: connection)
            start += batchSize
        }
        for column in table.columns where column.isIdentity {
            try await engine.query(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT setval(pg_get_serial_sequence('\(table.quotedName)', '\(column.name)'),
                                      (SELECT COALESCE(MAX("\(column.name)"), 0) + 1 FROM \(table.quotedName)), false)
                        """
                ),
                on: connection
            )
        }
    }

    /// SQLite's value as the PostgreSQL column's type: integers become booleans, blobs `BYTEA`.
    private static func bind(
        _ value: DatabaseValue,
        as column: CopiedTableSchema.Column,
        of table: String,
        into bindings: inout PostgresBindings
    ) throws {
        if value.isNull {
            bindings.appendNull()
            return
        }
        func convert<T: DatabaseValueConvertible>(_ type: T.Type) throws -> T {
            guard let converted = T.fromDatabaseValue(value) else {
                throw PostgresStoreError(sqlState: nil, message: "\(table).\(column.name): cannot copy \(value) as \(column.type)")
            }
            return converted
        }
        switch column.type {
        case "bigint": bindings.append(try convert(Int64.self))
        case "integer": bindings.append(try convert(Int32.self))
        case "double precision": bindings.append(try convert(Double.self))
        case "boolean": bindings.append(try convert(Bool.self))
        case "text": bindings.append(try convert(String.self))
        case "bytea": bindings.append(ByteBuffer(bytes: try convert(Data.self)))
        default:
            throw PostgresStoreError(sqlState: nil, message: "\(table).\(column.name): no copy rule for PostgreSQL type \(column.type)")
        }
    }
}

/// A table of the PostgreSQL schema as `copy(from:)` sees it.
private struct CopiedTableSchema {
    struct Column {
        let name: String
        let type: String
        let isIdentity: Bool
    }

    let name: String
    var columns: [Column]

    /// Always quoted: `user` is a reserved word in PostgreSQL.
    var quotedName: String { "\"\(name)\"" }
}

extension SQLStore where Engine == SQLiteEngine {
    /// Every row of each named table, read in one transaction so that the tables agree.
    func rows(of tables: [(name: String, columns: [String])]) async throws -> [String: [[DatabaseValue]]] {
        try await engine.pool.read { db in
            var result: [String: [[DatabaseValue]]] = [:]
            for table in tables {
                let columns = table.columns.map { "\"\($0)\"" }.joined(separator: ", ")
                let rows = try Row.fetchAll(db, sql: "SELECT \(columns) FROM \"\(table.name)\"")
                result[table.name] = rows.map { Array($0.databaseValues) }
            }
            return result
        }
    }
}
