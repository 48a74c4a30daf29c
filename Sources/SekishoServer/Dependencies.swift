import Foundation
import NIOPosix
import Prometheus
import SekishoCore
import SekishoStore

/// What the services and routes share, built once at start-up. Tests build it with a manual
/// clock and a counting hasher; `main` with the real ones — through the same `buildApplication`.
public struct Dependencies: Sendable {
    public var configuration: SekishoConfiguration
    public var store: any Store
    public var clock: any WallClock
    public var masterKey: [UInt8]
    public var hasher: any PasswordHasher
    /// What `/metrics` shows.
    public let metrics: SekishoMetrics
    /// The last clock check, for `/admin/system` and the metrics.
    public var clockStatus: ClockStatus

    public init(configuration: SekishoConfiguration, store: any Store, clock: any WallClock, masterKey: [UInt8], hasher: any PasswordHasher) {
        self.configuration = configuration
        self.store = store
        self.clock = clock
        self.masterKey = masterKey
        self.hasher = hasher
        let metrics = SekishoMetrics()
        self.metrics = metrics
        clockStatus = ClockStatus(registry: metrics.registry)
    }

    /// Opens the data directory, key and database named by the configuration.
    public static func open(_ configuration: SekishoConfiguration, clock: any WallClock = SystemWallClock()) throws -> Dependencies {
        try DataDirectory.ensure(configuration.dataDirectory)
        let key = try configuration.masterKey ?? KeyFile.loadOrCreate(at: configuration.keyFile)
        let store: any Store
        if let url = configuration.databaseURL {
            do {
                store = try PostgresStore(url: url, poolSize: configuration.databasePoolSize)
            } catch {
                throw StartupError("cannot use database.url: \(error)")
            }
        } else {
            do {
                store = try SQLiteStore(path: configuration.databasePath, busyTimeout: configuration.databaseBusyTimeout)
            } catch {
                throw StartupError("cannot open the database \(configuration.databasePath): \(error)")
            }
        }
        return Dependencies(configuration: configuration, store: store, clock: clock, masterKey: key, hasher: Self.hasher(for: configuration))
    }

    /// Runs `body` while the store's background work runs: PostgreSQL's connection pool answers
    /// queries only while it runs, so the server and every console command work inside this.
    /// SQLite has nothing to run.
    public func withStoreRunning<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        guard let postgres = store as? PostgresStore else { return try await body() }
        return try await postgres.whileRunning(body)
    }

    static func hasher(for configuration: SekishoConfiguration) -> Argon2PasswordHasher {
        let password = configuration.password
        return Argon2PasswordHasher(
            parameters: Argon2Parameters(
                memoryKiB: UInt32(password.argon2MemoryKiB),
                iterations: UInt32(password.argon2Iterations),
                parallelism: UInt32(password.argon2Parallelism)
            ),
            maxConcurrent: password.maxConcurrentHashes
        )
    }

    var secretBox: SecretBox {
        // The key length was checked when it was loaded.
        try! SecretBox(keyBytes: masterKey)
    }

    /// Seals and opens the outbox's mails that carry a secret.
    public var outboxSeal: OutboxSeal { OutboxSeal(box: secretBox) }

    var passwordPolicy: PasswordPolicy { PasswordPolicy(minimumLength: configuration.password.minimumLength) }

    /// Account creation for the console and the admin pages.
    public var userService: UserService {
        UserService(store: store, hasher: hasher, clock: clock, policy: passwordPolicy)
    }
}
