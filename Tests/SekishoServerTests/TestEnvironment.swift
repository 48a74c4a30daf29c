import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import SekishoCore
import SekishoServer
import SekishoStore
import TestSupport

/// A complete server setup in a temporary data directory with a manual clock.
struct TestEnvironment {
    let directory: ScratchDirectory
    var dataDirectory: String { directory.path }
    let dependencies: Dependencies
    let clock: ManualWallClock
    let hasher = CountingHasher()

    /// A moment in the middle of a 30-second step, so that ±1 step arithmetic is unambiguous.
    static let start = Date(timeIntervalSince1970: 1_800_000_015)

    init(overrides: [String: String] = [:]) async throws {
        directory = try ScratchDirectory("test")
        var values = [
            "data.directory": directory.path,
            "server.port": "0",
            "server.public_directory": repositoryRoot() + "/Public",
            "clock.check": "false",
            // Router tests run the application's services; tests that send mail drive a worker themselves.
            "mail.worker": "false",
        ]
        values.merge(overrides) { $1 }
        let configuration = try await ConfigurationLoader(filePath: nil, environment: [:], overrides: values).load()
        clock = ManualWallClock(Self.start)
        var dependencies = try Dependencies.open(configuration, clock: clock)
        dependencies.hasher = hasher
        self.dependencies = dependencies
        try await dependencies.store.migrate()
    }

    /// Runs `body` with a new environment and removes its data directory afterwards, whatever happens.
    static func with<Result>(
        overrides: [String: String] = [:],
        _ body: (TestEnvironment) async throws -> Result
    ) async throws -> Result {
        try await withCleanup(try await TestEnvironment(overrides: overrides), cleanup: { $0.remove() }, body)
    }

    var store: any Store { dependencies.store }

    func application() async throws -> some ApplicationProtocol {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return try await buildApplication(dependencies, logger: logger)
    }

    /// The application logging into `logger` (a ``LogCapture``'s, for tests about log lines).
    func application(logger: Logger) async throws -> some ApplicationProtocol {
        try await buildApplication(dependencies, logger: logger)
    }

    @discardableResult
    func createUser(
        _ name: String = "alice",
        password: String = "correct horse battery",
        twoFactor: Bool = true,
        role: User.Role = .user
    )
        async throws -> User
    {
        try await dependencies.userService.create(
            username: name,
            displayName: name.capitalized,
            email: "\(name)@example.com",
            role: role,
            password: password,
            twoFactorEnabled: twoFactor
        )
    }

    /// The code an authenticator with `key` shows `offset` steps from the server's now.
    func code(for key: String, stepOffset: Int = 0) throws -> String {
        TOTP(secret: try Base32.decode(key)).code(at: clock.now().addingTimeInterval(Double(stepOffset * 30)))
    }

    func remove() {
        directory.remove()
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }
}
