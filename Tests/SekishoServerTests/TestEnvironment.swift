import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import SekishoServer
import SekishoStore

/// A complete server setup in a temporary data directory with a manual clock.
struct TestEnvironment {
    let dataDirectory: String
    let dependencies: Dependencies
    let clock: ManualWallClock

    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    init(overrides: [String: String] = [:]) async throws {
        dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("sekisho-test-\(UUID().uuidString)").path
        var values = [
            "data.directory": dataDirectory,
            "server.port": "0",
            "server.public_directory": repositoryRoot() + "/Public",
            "clock.check": "false",
        ]
        values.merge(overrides) { $1 }
        let configuration = try await ConfigurationLoader(filePath: nil, environment: [:], overrides: values).load()
        clock = ManualWallClock(Self.start)
        dependencies = try Dependencies.open(configuration, clock: clock)
    }

    var store: any Store { dependencies.store }

    func application() async throws -> some ApplicationProtocol {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        return try await buildApplication(dependencies, logger: logger)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: dataDirectory)
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }
}
