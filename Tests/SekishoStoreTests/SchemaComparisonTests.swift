import Foundation
import SekishoStore
import Testing

/// Both engines' schemas after all migrations, compared table by table: the same tables, the same
/// columns with the same kind of type and nullability, the same indexes on the same columns and
/// the same unique keys. Drift between the two fails here, not in a user's database.
@Suite struct SchemaComparisonTests {
    @Test func bothEnginesHaveTheSameSchema() async throws {
        try await withDatabase(.sqlite) { sqliteDatabase in
            try await withDatabase(.postgres) { postgresDatabase in
                let sqlite = try await Self.schema(of: try await sqliteDatabase.openSQLite())
                let postgres = try await Self.schema(of: try await postgresDatabase.openPostgres(poolSize: 2))
                #expect(sqlite.tables.sorted() == postgres.tables.sorted())
                for table in sqlite.tables {
                    #expect(sqlite.columns[table] == postgres.columns[table], "columns of \(table)")
                }
                #expect(sqlite.indexes == postgres.indexes)
                #expect(sqlite.uniqueKeys == postgres.uniqueKeys)
                #expect(sqlite.tables.count >= 10)
            }
        }
    }

    struct Schema {
        var tables: [String] = []
        /// Per table: "name kind null|not null", in column order.
        var columns: [String: [String]] = [:]
        /// "table(name): columns", for the indexes the migrations create by name.
        var indexes: Set<String> = []
        /// "table: columns" of every primary key and unique constraint.
        var uniqueKeys: Set<String> = []
    }

    /// The kind of a column type: both engines compare and store these alike.
    static func kind(_ type: String) -> String {
        switch type.lowercased() {
        case "integer", "bigint", "smallint", "boolean": "integer"
        case "real", "double precision": "real"
        case "text": "text"
        case "blob", "bytea": "bytes"
        default: type.lowercased()
        }
    }

    static func schema(of store: SQLiteStore) async throws -> Schema {
        var schema = Schema()
        schema.tables = try await store.textRows(
            sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'grdb_migrations'"
        ).compactMap { $0[0] }
        for table in schema.tables {
            // cid, name, type, notnull, dflt_value, pk; a primary key is never NULL.
            let columns = try await store.textRows(sql: "PRAGMA table_info(\"\(table)\")")
            schema.columns[table] = columns.map { column in
                let notNull = column[3] == "1" || column[5] != "0"
                return "\(column[1] ?? "") \(kind(column[2] ?? "")) \(notNull ? "not null" : "null")"
            }
            let key = columns.filter { $0[5] != "0" }.sorted { Int($0[5] ?? "") ?? 0 < Int($1[5] ?? "") ?? 0 }.compactMap { $0[1] }
            if !key.isEmpty { schema.uniqueKeys.insert("\(table): \(key.joined(separator: ","))") }
            // seq, name, unique, origin (c: CREATE INDEX, u: UNIQUE, pk), partial
            for index in try await store.textRows(sql: "PRAGMA index_list(\"\(table)\")") {
                let name = index[1] ?? ""
                let indexColumns = try await store.textRows(sql: "PRAGMA index_info(\"\(name)\")").compactMap { $0[2] }.joined(separator: ",")
                if index[3] == "c" { schema.indexes.insert("\(table)(\(name)): \(indexColumns)") }
                if index[2] == "1" { schema.uniqueKeys.insert("\(table): \(indexColumns)") }
            }
        }
        return schema
    }

    static func schema(of store: PostgresStore) async throws -> Schema {
        var schema = Schema()
        schema.tables = try await store.textRows(
            sql: """
                SELECT table_name::text FROM information_schema.tables
                WHERE table_schema = 'public' AND table_name <> 'schema_migrations'
                """
        ).compactMap { $0[0] }
        for table in schema.tables {
            schema.columns[table] = try await store.textRows(
                sql: """
                    SELECT column_name::text, data_type::text, is_nullable::text FROM information_schema.columns
                    WHERE table_schema = 'public' AND table_name = '\(table)' ORDER BY ordinal_position
                    """
            ).map { "\($0[0] ?? "") \(kind($0[1] ?? "")) \($0[2] == "NO" ? "not null" : "null")" }
        }
        // Every index with its columns in order, whether a constraint made it, and uniqueness.
        let indexes = try await store.textRows(
            sql: """
                SELECT t.relname::text AS table_name, i.relname::text AS index_name,
                       (SELECT string_agg(a.attname::text, ',' ORDER BY k.ord) FROM unnest(x.indkey) WITH ORDINALITY AS k(attnum, ord)
                        JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum) AS columns,
                       x.indisunique::text AS is_unique,
                       (SELECT COUNT(*) FROM pg_constraint c WHERE c.conindid = i.oid)::text AS constraints
                FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
                JOIN pg_namespace n ON n.oid = t.relnamespace
                WHERE n.nspname = 'public' AND t.relname <> 'schema_migrations'
                """
        )
        for index in indexes {
            let (table, name, columns) = (index[0] ?? "", index[1] ?? "", index[2] ?? "")
            if index[4] == "0" { schema.indexes.insert("\(table)(\(name)): \(columns)") }
            if index[3] == "true" { schema.uniqueKeys.insert("\(table): \(columns)") }
        }
        return schema
    }
}
