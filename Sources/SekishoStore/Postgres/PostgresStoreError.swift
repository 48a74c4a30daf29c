/// A PostgreSQL error that is neither a duplicate nor an outage: a bug or a schema mismatch.
///
/// PostgresNIO's own `PSQLError` describes itself generically (so that it never leaks to users);
/// this keeps the SQLSTATE and the server's message for the operator's log, never the bound values.
public struct PostgresStoreError: Error, Equatable, CustomStringConvertible {
    /// The five-character SQLSTATE, when the server sent one.
    public let sqlState: String?
    public let message: String

    public var description: String {
        if let sqlState { "PostgreSQL error \(sqlState): \(message)" } else { "PostgreSQL error: \(message)" }
    }
}
