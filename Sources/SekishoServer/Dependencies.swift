import Foundation
import SekishoStore

/// What the services and routes share, built once at start-up. Tests build it with a manual clock
/// and fast hashing parameters; `main` with the real ones — through the same `buildApplication`.
public struct Dependencies: Sendable {
    public var configuration: SekishoConfiguration
    public var store: any Store
    public var clock: any WallClock
    public var masterKey: [UInt8]

    public init(configuration: SekishoConfiguration, store: any Store, clock: any WallClock, masterKey: [UInt8]) {
        self.configuration = configuration
        self.store = store
        self.clock = clock
        self.masterKey = masterKey
    }

    /// Opens the data directory, key and database named by the configuration.
    public static func open(_ configuration: SekishoConfiguration, clock: any WallClock = SystemWallClock()) throws -> Dependencies {
        try DataDirectory.ensure(configuration.dataDirectory)
        let key = try configuration.masterKey ?? KeyFile.loadOrCreate(at: configuration.keyFile)
        let store: SQLiteStore
        do {
            store = try SQLiteStore(path: configuration.databasePath)
        } catch {
            throw StartupError("cannot open the database \(configuration.databasePath): \(error)")
        }
        return Dependencies(configuration: configuration, store: store, clock: clock, masterKey: key)
    }
}
