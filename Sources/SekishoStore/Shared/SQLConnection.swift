import Foundation

/// A connection as the shared store operations see it: statements run synchronously, inside
/// the transaction (or the read) that the engine opened.
public protocol SQLConnection {
    var dialect: SQLDialect { get }
    /// Runs `sql` and returns its rows (a `SELECT`, or a change with `RETURNING`).
    func rows(_ sql: SQL) throws -> [any SQLRow]
    /// Runs `sql` and returns how many rows it changed.
    @discardableResult
    func execute(_ sql: SQL) throws -> Int
}

extension SQLConnection {
    func row(_ sql: SQL) throws -> (any SQLRow)? { try rows(sql).first }
}

/// What really differs between the engines' SQL; everything else is written once.
public enum SQLDialect: Sendable {
    case sqlite
    case postgres

    // SQLite runs one write transaction at a time, across processes: what PostgreSQL needs a
    // lock for, it has already.

    /// Locks the selected rows until the transaction ends.
    var lockingRows: String { self == .sqlite ? "" : "FOR UPDATE" }
    /// Locks the selected rows against changes, not against other readers that lock them so.
    var sharingRows: String { self == .sqlite ? "" : "FOR SHARE" }
    /// Locks the selected rows, skipping those another transaction holds (queue workers).
    var lockSkippingLocked: String { self == .sqlite ? "" : "FOR UPDATE SKIP LOCKED" }
    /// Orders text by bytes, as SQLite does, whatever locale the PostgreSQL database has.
    var byteOrder: String { self == .sqlite ? "" : #"COLLATE "C""# }
    /// The whole part of a non-negative number, as an integer (PostgreSQL's CAST rounds).
    func wholePart(_ expression: SQL) -> SQL {
        self == .sqlite ? "CAST(\(expression) AS INTEGER)" : "CAST(floor(\(expression)) AS BIGINT)"
    }
    /// A statement that stops inserts into `table` until the transaction ends, or nil.
    func lockingInserts(into table: String) -> String? {
        self == .sqlite ? nil : "LOCK TABLE \(table) IN SHARE ROW EXCLUSIVE MODE"
    }
}
