import Foundation
import PostgresNIO

/// One result row of the engine's own statements (migrations, `migrate-to-postgres`), read by
/// column name; the store's models are read through ``PostgresSQLRow``.
struct PostgresRecord {
    let row: PostgresRandomAccessRow
    var prefix = ""

    init(_ row: PostgresRow) {
        self.row = row.makeRandomAccess()
    }

    func callAsFunction<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        try row[prefix + column].decode(T.self)
    }

    func callAsFunction<T: PostgresDecodable>(_ index: Int, as type: T.Type = T.self) throws -> T {
        try row[index].decode(T.self)
    }

    func date(_ column: String) throws -> Date {
        Date(timeIntervalSince1970: try self(column, as: Double.self))
    }

    func optionalDate(_ column: String) throws -> Date? {
        try self(column, as: Double?.self).map(Date.init(timeIntervalSince1970:))
    }

    func enumeration<T: RawRepresentable>(_ column: String, as type: T.Type) throws -> T where T.RawValue == String {
        let raw = try self(column, as: String.self)
        guard let value = T(rawValue: raw) else {
            throw PostgresStoreError(sqlState: nil, message: "unexpected value \(raw) in column \(column)")
        }
        return value
    }

    /// The same row, reading the columns named `prefix` + name.
    func scoped(_ prefix: String) -> PostgresRecord {
        var copy = self
        copy.prefix = prefix
        return copy
    }
}

extension Optional where Wrapped == PostgresRecord {
    /// The row a statement with `RETURNING` must produce.
    func required(_ what: String) throws -> PostgresRecord {
        guard let self else { throw PostgresStoreError(sqlState: nil, message: "no row returned for \(what)") }
        return self
    }
}
