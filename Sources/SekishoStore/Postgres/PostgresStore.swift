import Foundation
import Logging
import NIOCore
import NIOSSL
import PostgresNIO

/// The shared store for several Sekisho instances: PostgreSQL through a PostgresNIO connection pool.
public typealias PostgresStore = SQLStore<PostgresEngine>

extension SQLStore where Engine == PostgresEngine {
    /// Prepares a pool of at most `poolSize` connections to `url`; connects nothing yet.
    ///
    /// - Parameters:
    ///   - url: `postgres://user:password@host:port/database`, see ``PostgresURL`` for `sslmode`.
    ///   - poolSize: the most connections this instance opens; mind the server's `max_connections`
    ///     across all instances.
    /// - Throws: ``PostgresURL/ParseError`` for a malformed URL, ``PostgresStoreError`` for a bad
    ///   pool size or TLS file.
    public convenience init(url: String, poolSize: Int = 10, logger: Logger = Logger(label: "sekisho.store.postgres")) throws {
        self.init(engine: try PostgresEngine(url: url, poolSize: poolSize, logger: logger))
    }

    /// Runs the connection pool until the calling task is cancelled; queries wait until it runs.
    public func run() async {
        await engine.run()
    }

    /// Runs `body` with the pool running, and stops the pool when `body` returns or throws: for
    /// the server, a console command or a test that uses the store for a while.
    public func whileRunning<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await self.run() }
            defer { group.cancelAll() }
            return try await body()
        }
    }

    /// Opens one connection outside the pool and closes it: a start-up check with a clear error.
    public func checkConnection() async throws {
        try await engine.checkConnection()
    }
}

/// Runs the store's statements on PostgreSQL through a PostgresNIO connection pool.
///
/// The pool only works while ``run()`` runs: the server runs it as a long-lived service and
/// cancels it at shutdown. ``migrate()`` does not need the pool: it opens a connection of its
/// own, so that a wrong password or an unreachable host is reported at start-up as a clear
/// ``StoreError/unavailable(_:)`` instead of a request that waits.
///
/// A read of one statement, and a change of one statement (``writeOne(_:_:)``), runs on a pooled
/// connection as it comes, prepared there once (see ``PreparedStatements``). A write transaction's body
/// is synchronous (it is written once for SQLite too), so it runs on a thread of `threads`, one
/// per connection of the pool, which waits there for each statement's answer; event loops never
/// wait. The outbox is taken with `FOR UPDATE SKIP LOCKED`. Times are `DOUBLE PRECISION` seconds
/// since 1970, as in SQLite.
public final class PostgresEngine: SQLEngine {
    public static let dialect = SQLDialect.postgres
    let client: PostgresClient
    let url: PostgresURL
    let logger: Logger
    private let tls: TLSConfiguration?
    /// Where write transactions wait for their statements; as many threads as connections.
    private let threads: NIOThreadPool
    /// The names of the statements prepared on the pool's connections.
    private let statements = PreparedStatements()

    /// The URL without its password.
    public var location: String { url.description }

    /// Prepares a pool of at most `poolSize` connections to `url`; connects nothing yet.
    ///
    /// - Parameters:
    ///   - url: `postgres://user:password@host:port/database`, see ``PostgresURL`` for `sslmode`.
    ///   - poolSize: the most connections this instance opens; mind the server's `max_connections`
    ///     across all instances.
    /// - Throws: ``PostgresURL/ParseError`` for a malformed URL, ``PostgresStoreError`` for a bad
    ///   pool size or TLS file.
    init(url: String, poolSize: Int, logger: Logger) throws {
        guard poolSize >= 1 else {
            throw PostgresStoreError(sqlState: nil, message: "the connection pool size must be at least 1, not \(poolSize)")
        }
        let url = try PostgresURL(url)
        let tls = Self.tlsConfiguration(for: url)
        let clientTLS: PostgresClient.Configuration.TLS =
            switch url.sslMode {
            case .disable: .disable
            case .prefer: .prefer(tls!)
            case .require, .verifyFull: .require(tls!)
            }
        var configuration = PostgresClient.Configuration(
            host: url.host,
            port: url.port,
            username: url.username,
            password: url.password,
            database: url.database,
            tls: clientTLS
        )
        configuration.options.minimumConnections = 0
        configuration.options.maximumConnections = poolSize
        self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.url = url
        self.logger = logger
        self.tls = tls
        self.threads = NIOThreadPool(numberOfThreads: poolSize)
    }

    /// Runs the connection pool (and the transactions' threads) until the calling task is
    /// cancelled; queries wait until it runs.
    func run() async {
        threads.start()
        await client.run()
        try? await threads.shutdownGracefully()
    }

    public func migrate() async throws {
        let connection = try await connect()
        do {
            try await PostgresMigrations.migrate(on: connection, logger: logger)
            try? await connection.close()
        } catch {
            try? await connection.close()
            throw mapped(error, probe: false)
        }
    }

    /// The names of the migrations applied so far, by name.
    public func appliedMigrations() async throws -> [String] {
        try await query("SELECT name FROM schema_migrations ORDER BY name").map { try $0("name", as: String.self) }
    }

    /// Opens one connection outside the pool and closes it: a start-up check with a clear error.
    func checkConnection() async throws {
        let connection = try await connect()
        try? await connection.close()
    }

    // MARK: - Access with errors mapped to the domain

    /// Runs one statement on a pooled connection and collects its rows.
    @discardableResult
    func query(_ query: PostgresQuery) async throws -> [PostgresRecord] {
        do {
            return try await client.query(query, logger: logger).collect().map(PostgresRecord.init)
        } catch {
            throw await mappedProbing(error)
        }
    }

    public func read<T: Sendable>(_ sql: SQL, _ decode: @escaping @Sendable (any SQLRow) throws -> T) async throws -> [T] {
        try await prepared(sql).map { try decode($0.sqlRow) }
    }

    /// A statement in autocommit on a pooled connection: one round trip, no thread of the
    /// engine's own.
    public func writeOne<T: Sendable>(_ sql: SQL, _ decode: @escaping @Sendable (any SQLRow) throws -> T) async throws -> [T] {
        try await prepared(sql).map { try decode($0.sqlRow) }
    }

    /// Runs one statement on a pooled connection as a prepared statement, prepared there the
    /// first time (see ``PreparedStatements``), and collects its rows.
    private func prepared(_ sql: SQL) async throws -> [PostgresRecord] {
        let rendered = PostgresQuery.render(sql)
        let statement = RuntimePreparedStatement(bindings: PostgresQuery(rendered: rendered).binds)
        var retried = false
        while true {
            let text = RuntimePreparedStatement.Text(
                name: statements.name(of: rendered),
                sql: rendered.text,
                types: rendered.values.map(\.preparedType)
            )
            do {
                return try await RuntimePreparedStatement.$current.withValue(text) {
                    var records: [PostgresRecord] = []
                    for try await row in try await client.execute(statement, logger: logger) {
                        records.append(PostgresRecord(row))
                    }
                    return records
                }
            } catch {
                if statements.rename(after: error, of: rendered) == .retry, !retried {
                    retried = true
                    continue
                }
                throw await mappedProbing(error)
            }
        }
    }

    public func write<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
        do {
            return try await client.withConnection { connection in
                try await self.threads.runIfActive {
                    let db = PostgresBlockingConnection(connection: connection, logger: self.logger)
                    try db.execute("BEGIN")
                    do {
                        let result = try body(db)
                        try db.execute("COMMIT")
                        return result
                    } catch {
                        _ = try? db.execute("ROLLBACK")
                        throw error
                    }
                }
            }
        } catch {
            throw await mappedProbing(error)
        }
    }

    /// Runs `body` between `BEGIN` and `COMMIT` on one pooled connection; any error rolls back.
    func transaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await client.withTransaction(logger: logger) { connection in try await body(connection) }
        } catch {
            throw await mappedProbing(error)
        }
    }

    /// Runs one statement inside a transaction and collects its rows.
    @discardableResult
    func query(_ query: PostgresQuery, on connection: PostgresConnection) async throws -> [PostgresRecord] {
        try await connection.query(query, logger: logger).collect().map(PostgresRecord.init)
    }

    // MARK: - Connections and errors

    private static func tlsConfiguration(for url: PostgresURL) -> TLSConfiguration? {
        guard url.sslMode != .disable else { return nil }
        var tls = TLSConfiguration.makeClientConfiguration()
        // libpq's prefer and require encrypt without checking who answers; verify-full checks.
        tls.certificateVerification = url.sslMode == .verifyFull ? .fullVerification : .none
        if let file = url.sslRootCertificate {
            tls.trustRoots = .file(file)
        }
        return tls
    }

    /// One connection outside the pool, with connection failures described for an operator.
    private func connect() async throws -> PostgresConnection {
        let connectionTLS: PostgresConnection.Configuration.TLS
        do {
            connectionTLS =
                switch url.sslMode {
                case .disable: .disable
                case .prefer: .prefer(try NIOSSLContext(configuration: tls!))
                case .require, .verifyFull: .require(try NIOSSLContext(configuration: tls!))
                }
        } catch {
            throw StoreError.unavailable("cannot set up TLS for \(url): \(error)")
        }
        var configuration = PostgresConnection.Configuration(
            host: url.host,
            port: url.port,
            username: url.username,
            password: url.password,
            database: url.database,
            tls: connectionTLS
        )
        configuration.options.connectTimeout = .seconds(10)
        do {
            return try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
        } catch {
            throw mapped(error, probe: false)
        }
    }

    /// Maps `error`; an error it cannot explain (such as the pool giving up after failed
    /// connection attempts) is explained by trying one connection.
    private func mappedProbing(_ error: any Error) async -> any Error {
        let result = mapped(error, probe: true)
        guard result is ProbeNeeded else { return result }
        do {
            try await checkConnection()
        } catch let probeError {
            return probeError
        }
        return error
    }

    private struct ProbeNeeded: Error {}

    /// Domain errors for PostgresNIO's: duplicates, outages (with the reason), or
    /// ``PostgresStoreError`` for the rest.
    private func mapped(_ error: any Error, probe: Bool) -> any Error {
        switch error {
        case let error as StoreError:
            return error
        case let error as PostgresTransactionError:
            guard let inner = error.closureError ?? error.beginError ?? error.commitError else {
                return StoreError.unavailable("transaction on \(url) failed")
            }
            return mapped(inner, probe: probe)
        case let error as PSQLError:
            return mapped(error)
        case is PostgresDecodingError, is DecodingError, is PostgresURL.ParseError, is PostgresStoreError, is CancellationError,
            is AttemptChargeRefused, is NIOThreadPoolError.ThreadPoolInactive:
            return error
        default:
            return probe ? ProbeNeeded() : StoreError.unavailable("cannot connect to \(url): \(error)")
        }
    }

    private func mapped(_ error: PSQLError) -> any Error {
        if error.code == .server, let info = error.serverInfo {
            let state = info[.sqlState] ?? ""
            let message = info[.message] ?? "no message"
            switch state {
            case "23505":
                return StoreError.duplicate(info[.detail] ?? info[.constraintName] ?? "row")
            case "28P01", "28000":
                return StoreError.unavailable("\(url) refused user \(url.username): \(message) (check the password in database.url)")
            case "3D000":
                return StoreError.unavailable("\(url): \(message) (create the database first)")
            case _ where state.hasPrefix("08") || state.hasPrefix("53") || state.hasPrefix("57P"):
                return StoreError.unavailable("\(url): \(message) (SQLSTATE \(state))")
            case "40001", "40P01", "55P03", "25006":
                // Serialization failure, deadlock, lock timeout, read-only replica: worth a retry later.
                return StoreError.unavailable("\(url): \(message) (SQLSTATE \(state))")
            default:
                return PostgresStoreError(sqlState: state, message: message)
            }
        }
        switch error.code {
        case .connectionError:
            let reason = error.underlying.map { ConnectionFailureReason.describe($0) ?? "\($0)" } ?? "the connection failed"
            let port = "port \(url.port)"
            return StoreError.unavailable("cannot reach \(url) (host \(url.host), \(port)): \(reason)")
        case .sslUnsupported:
            return StoreError.unavailable("\(url) does not offer TLS; add ?sslmode=disable only on a trusted network")
        case .failedToAddSSLHandler, .receivedUnencryptedDataAfterSSLRequest:
            return StoreError.unavailable("TLS with \(url) failed: \(error.underlying.map { "\($0)" } ?? "\(error.code)")")
        case .unsupportedAuthMechanism, .authMechanismRequiresPassword, .saslError:
            return StoreError.unavailable("\(url) refused user \(url.username): \(error.code) (check the password in database.url)")
        case .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed, .queryCancelled:
            return StoreError.unavailable("connection to \(url) lost: \(error.code)")
        default:
            return PostgresStoreError(sqlState: nil, message: "\(error.code)")
        }
    }
}
