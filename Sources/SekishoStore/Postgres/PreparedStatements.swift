import PostgresNIO
import Synchronization

/// The names under which the store's statements are prepared on the pooled connections, so
/// that PostgreSQL parses and plans each of them once per connection instead of on every call;
/// the counterpart of GRDB's statement cache on SQLite, keyed by the text in the same way.
///
/// Planning costs more than running for the statements of the hot path: pgbench on the code
/// check's tables commits the code check's single statement (``GuardedChange/asOneStatement``,
/// a dozen data-modifying CTEs) 1.5–1.9 times as often prepared as unnamed, and runs the two
/// reads of a code check twice as often.
///
/// A name always means one text with one set of parameter types, since PostgreSQL fixes the
/// types when it prepares (a NULL is sent without a type, and would be prepared as another one).
final class PreparedStatements: Sendable {
    private struct Key: Hashable {
        var text: String
        var types: String

        init(_ rendered: (text: String, values: [SQLValue])) {
            text = rendered.text
            types = String(rendered.values.map(\.typeLetter))
        }
    }

    private struct Names {
        var byKey: [Key: String] = [:]
        var issued = 0
    }

    private let names = Mutex(Names())

    /// The name of a rendered statement.
    func name(of rendered: (text: String, values: [SQLValue])) -> String {
        let key = Key(rendered)
        return names.withLock { names in
            if let name = names.byKey[key] { return name }
            names.issued += 1
            let name = "sekisho_\(names.issued)"
            names.byKey[key] = name
            return name
        }
    }

    enum AfterError {
        /// Nothing ran: run it again, under its new name.
        case retry
        case fail
    }

    /// Gives a statement a new name after `error` when the error may have come from preparing
    /// it or from its plan: PostgresNIO keeps a failed preparation's error for the name on that
    /// connection and answers it to every later call, so a passing condition (a lock wait cut
    /// short by `statement_timeout` while a migration holds the table, a lack of memory) would
    /// stay with the connection for good. A table changed by a migration (another instance's)
    /// makes PostgreSQL refuse a prepared `SELECT *` whose columns changed, before running it:
    /// that one is prepared anew and run again. Integrity errors and the like come from running
    /// the statement and change nothing here.
    func rename(after error: any Error, of rendered: (text: String, values: [SQLValue])) -> AfterError {
        guard let error = error as? PSQLError, error.code == .server, let state = error.serverInfo?[.sqlState] else { return .fail }
        let planChanged = state == "0A000"
        guard planChanged || ["53", "55", "57"].contains(String(state.prefix(2))) else { return .fail }
        let key = Key(rendered)
        _ = names.withLock { names in names.byKey.removeValue(forKey: key) }
        return planChanged ? .retry : .fail
    }
}

extension SQLValue {
    /// One letter per type a parameter is bound as (``PostgresQuery/init(rendered:)``).
    fileprivate var typeLetter: Character {
        switch self {
        case .text: "t"
        case .real: "r"
        case .integer: "i"
        case .bool: "b"
        case .blob: "x"
        case .null: "n"
        }
    }

    /// The type a parameter is prepared with: the one it is bound as, so that PostgreSQL does not
    /// infer another from the column (an `INTEGER` column would make a bound `BIGINT` unreadable);
    /// none for a NULL, whose type PostgreSQL infers as for an unnamed statement.
    var preparedType: PostgresDataType {
        switch self {
        case .text: .text
        case .real: .float8
        case .integer: .int8
        case .bool: .bool
        case .blob: .bytea
        case .null: .null
        }
    }
}

/// A statement built at run time, as PostgresNIO's prepared statements take it.
///
/// PostgresNIO reads a prepared statement's name and text from static members of its type, once
/// per call and in the calling task, before it sends the statement; ours are only known at run
/// time, so they are handed to it in a task-local value around the call. The parameters' types
/// are given with the text, as PostgresNIO does for a statement that is not prepared.
struct RuntimePreparedStatement: PostgresPreparedStatement {
    struct Text: Sendable {
        var name: String
        var sql: String
        var types: [PostgresDataType]
    }

    @TaskLocal static var current = Text(name: "", sql: "", types: [])

    static var name: String { current.name }
    static var sql: String { current.sql }
    static var bindingDataTypes: [PostgresDataType] { current.types }

    let bindings: PostgresBindings

    func makeBindings() throws -> PostgresBindings { bindings }

    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}
