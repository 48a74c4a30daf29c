import Foundation

/// One result row, read by column name, whichever engine it came from; every model has one
/// initializer from it (`Model+SQLRow.swift`).
public protocol SQLRow {
    /// The column's value (`.null` for NULL); throws when the row has no such column.
    func value(_ column: String) throws -> SQLValue
    /// The names of the columns, in order.
    var columnNames: [String] { get }
}

/// The columns of a joined table selected as `u_id, u_username, …`, read by their plain names.
struct PrefixedRow: SQLRow {
    let row: any SQLRow
    let prefix: String

    func value(_ column: String) throws -> SQLValue { try row.value(prefix + column) }
    var columnNames: [String] { row.columnNames.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) } }
}

extension SQLRow {
    func string(_ column: String) throws -> String {
        guard let value = try optionalString(column) else { throw StoreError.unreadable("\(column) is NULL") }
        return value
    }

    func optionalString(_ column: String) throws -> String? {
        switch try value(column) {
        case .text(let text): text
        case .null: nil
        case let other: throw StoreError.unreadable("\(column) is \(other)")
        }
    }

    func int64(_ column: String) throws -> Int64 {
        switch try value(column) {
        case .integer(let integer): integer
        case let other: throw StoreError.unreadable("\(column) is \(other)")
        }
    }

    func int(_ column: String) throws -> Int { Int(try int64(column)) }

    func optionalInt64(_ column: String) throws -> Int64? {
        if case .null = try value(column) { return nil }
        return try int64(column)
    }

    func double(_ column: String) throws -> Double {
        switch try value(column) {
        case .real(let real): real
        case .integer(let integer): Double(integer)
        case let other: throw StoreError.unreadable("\(column) is \(other)")
        }
    }

    func date(_ column: String) throws -> Date { Date(timeIntervalSince1970: try double(column)) }

    func optionalDate(_ column: String) throws -> Date? {
        if case .null = try value(column) { return nil }
        return try date(column)
    }

    /// BOOLEAN in PostgreSQL, 0 or 1 in SQLite.
    func bool(_ column: String) throws -> Bool {
        switch try value(column) {
        case .bool(let bool): bool
        case .integer(let integer): integer != 0
        case let other: throw StoreError.unreadable("\(column) is \(other)")
        }
    }

    func optionalData(_ column: String) throws -> Data? {
        if case .null = try value(column) { return nil }
        return try data(column)
    }

    func data(_ column: String) throws -> Data {
        switch try value(column) {
        case .blob(let data): data
        case let other: throw StoreError.unreadable("\(column) is \(other)")
        }
    }

    /// A value that must be one of an enumeration's cases; anything else throws, never guessed.
    func enumeration<T: RawRepresentable>(_ column: String, as type: T.Type = T.self) throws -> T where T.RawValue == String {
        let raw = try string(column)
        guard let value = T(rawValue: raw) else { throw StoreError.unreadable("\(column) is \(raw)") }
        return value
    }
}
