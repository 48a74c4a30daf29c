import Foundation
import PostgresNIO

/// One result row of the engine's own statements (migrations, `migrate-to-postgres`), read by
/// column name; the store's models are read through ``PostgresSQLRow``.
struct PostgresRecord {
    let row: PostgresRandomAccessRow

    init(_ row: PostgresRow) {
        self.row = row.makeRandomAccess()
    }

    func callAsFunction<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        try row[column].decode(T.self)
    }

    func callAsFunction<T: PostgresDecodable>(_ index: Int, as type: T.Type = T.self) throws -> T {
        try row[index].decode(T.self)
    }
}

extension Optional where Wrapped == PostgresRecord {
    /// The row a statement with `RETURNING` must produce.
    func required(_ what: String) throws -> PostgresRecord {
        guard let self else { throw PostgresStoreError(sqlState: nil, message: "no row returned for \(what)") }
        return self
    }
}
