import Foundation
import Logging
import NIOCore
import PostgresNIO

/// A pooled connection as the store's write transactions see it: each statement is sent and its
/// answer waited for on the calling thread, which is one of ``PostgresEngine``'s own threads,
/// never an event loop (where waiting would deadlock).
struct PostgresBlockingConnection: SQLConnection {
    let connection: PostgresConnection
    let logger: Logger

    var dialect: SQLDialect { .postgres }

    func rows(_ sql: SQL) throws -> [any SQLRow] {
        try result(sql).rows.map { PostgresSQLRow(row: $0.makeRandomAccess()) }
    }

    @discardableResult
    func execute(_ sql: SQL) throws -> Int {
        try result(sql).metadata.rows ?? 0
    }

    private func result(_ sql: SQL) throws -> PostgresQueryResult {
        try connection.query(PostgresQuery(sql), logger: logger).wait()
    }
}

extension PostgresQuery {
    /// A statement written once for both engines, with PostgreSQL's numbered parameters.
    init(_ sql: SQL) {
        self.init(rendered: Self.render(sql))
    }

    /// The text with PostgreSQL's numbered parameters, and the values in their order.
    static func render(_ sql: SQL) -> (text: String, values: [SQLValue]) {
        sql.rendered { "$\($0)" }
    }

    /// A statement already rendered by ``render(_:)``, with its values bound as their types.
    init(rendered: (text: String, values: [SQLValue])) {
        let (text, values) = rendered
        var binds = PostgresBindings(capacity: values.count)
        for value in values {
            switch value {
            case .text(let text): binds.append(text)
            case .real(let real): binds.append(real)
            case .integer(let integer): binds.append(integer)
            case .bool(let bool): binds.append(bool)
            case .blob(let data): binds.append(ByteBuffer(bytes: data))
            case .null: binds.appendNull()
            }
        }
        self.init(unsafeSQL: text, binds: binds)
    }
}

/// One result row of PostgreSQL, read by column name as the shared decoders expect.
struct PostgresSQLRow: SQLRow {
    let row: PostgresRandomAccessRow

    var columnNames: [String] { row.map(\.columnName) }

    func value(_ column: String) throws -> SQLValue {
        guard row.contains(column) else { throw StoreError.unreadable("no column \(column)") }
        let cell = row[column]
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8, .oid:
            return .integer(try cell.decode(Int64.self))
        case .float4, .float8:
            return .real(try cell.decode(Double.self))
        case .numeric:
            // Sums and averages: exact decimals; the store only needs them as numbers.
            return .real(Double(try cell.decode(String.self)) ?? .nan)
        case .bool:
            return .bool(try cell.decode(Bool.self))
        case .bytea:
            return .blob(try cell.decode(Data.self))
        default:
            return .text(try cell.decode(String.self))
        }
    }
}

extension PostgresRecord {
    var sqlRow: PostgresSQLRow { PostgresSQLRow(row: row) }
}
