import Foundation
import SekishoServer
import TestSupport
import Testing

@Suite struct ConfigurationLoaderTests {
    private func load(
        yaml: String? = nil,
        environment: [String: String] = [:],
        overrides: [String: String] = [:]
    ) async throws(ConfigurationError)
        -> SekishoConfiguration
    {
        // Typed throws: a folder that cannot be made shows as a file that cannot be read.
        let directory = yaml == nil ? nil : try? ScratchDirectory("config")
        defer { directory?.remove() }
        let path = directory?.path("sekisho.yaml")
        if let yaml, let path {
            try? yaml.write(toFile: path, atomically: true, encoding: .utf8)
        }
        return try await ConfigurationLoader(filePath: path, environment: environment, overrides: overrides).load()
    }

    @Test func defaultsAreTheEmbeddedDevelopmentSetup() async throws {
        let configuration = try await load()
        #expect(configuration.server.host == "127.0.0.1")
        #expect(configuration.server.port == 8080)
        #expect(configuration.databasePath == "./data/sekisho.sqlite")
        #expect(configuration.keyFile == "./data/sekisho.key")
        #expect(configuration.mail.transport == .file)
        #expect(configuration.mail.directory == "./data/mail")
        #expect(configuration.totp.secretBytes == 15)
        #expect(configuration.totp.window == 1)
        #expect(configuration.server.allowedHosts == ["localhost", "127.0.0.1", "::1"])
        #expect(configuration.clock.servers == ["pool.ntp.org"])
    }

    @Test func fileThenEnvironmentThenFlagsEachWin() async throws {
        let yaml = "server:\n  port: 9000\n  host: 0.0.0.0\ntotp:\n  issuer: Example\nclock:\n  servers: [a.example, b.example:1123]\n"
        let fromFile = try await load(yaml: yaml)
        #expect(fromFile.server.port == 9000)
        #expect(fromFile.totp.issuer == "Example")
        #expect(fromFile.clock.servers == ["a.example", "b.example:1123"])

        let fromEnvironment = try await load(yaml: yaml, environment: ["SEKISHO_SERVER_PORT": "9100", "SEKISHO_TOTP_ISSUER": "Env"])
        #expect(fromEnvironment.server.port == 9100)
        #expect(fromEnvironment.server.host == "0.0.0.0")
        #expect(fromEnvironment.totp.issuer == "Env")

        let fromFlags = try await load(yaml: yaml, environment: ["SEKISHO_SERVER_PORT": "9100"], overrides: ["server.port": "9200"])
        #expect(fromFlags.server.port == 9200)
    }

    @Test func dataDirectoryMovesItsDerivedPaths() async throws {
        let configuration = try await load(overrides: ["data.directory": "/var/lib/sekisho"])
        #expect(configuration.databasePath == "/var/lib/sekisho/sekisho.sqlite")
        #expect(configuration.keyFile == "/var/lib/sekisho/sekisho.key")
        #expect(configuration.mail.directory == "/var/lib/sekisho/mail")
    }

    @Test(arguments: [
        ("server:\n  prot: 80\n", "server.prot"),
        ("totp:\n  window: 5\n", "totp.window"),
        ("server:\n  port: eighty\n", "server.port"),
        ("totp:\n  secret_bytes: 16\n", "totp.secret_bytes"),
        ("mail:\n  transport: pigeon\n", "mail.transport"),
        ("clock:\n  on_failure: panic\n", "clock.on_failure"),
        ("server:\n  public_url: ftp://x\n", "server.public_url"),
        ("password:\n  min_length: 4\n", "password.min_length"),
        ("totp:\n  issuer: 'A:B'\n", "totp.issuer"),
        ("server: [1, 2]\n", "server"),
        ("database:\n  url: mysql://db/sekisho\n", "database.url"),
        ("database:\n  url: postgres://db.example.com/sekisho\n", "database.url"),
        ("database:\n  pool_size: 0\n", "database.pool_size"),
        ("forward_auth:\n  cache_ttl: -1\n", "forward_auth.cache_ttl"),
    ])
    func wrongValuesNameTheirKey(yaml: String, key: String) async {
        do {
            _ = try await load(yaml: yaml)
            Issue.record("accepted \(yaml)")
        } catch {
            #expect(error.key == key)
            #expect(!error.message.isEmpty)
        }
    }

    @Test func unknownEnvironmentVariableAndFlagAreRefused() async {
        await #expect(throws: ConfigurationError.self) { _ = try await load(environment: ["SEKISHO_SERVR_PORT": "1"]) }
        await #expect(throws: ConfigurationError.self) { _ = try await load(overrides: ["nope.key": "1"]) }
        // Unrelated variables are none of our business.
        _ = try? await load(environment: ["HOME": "/root", "SEKISHO_CONFIG": "x"])
    }

    @Test func brokenYAMLAndMissingFileAreErrors() async {
        await #expect(throws: ConfigurationError.self) { _ = try await load(yaml: "server: [unclosed\n") }
        await #expect(throws: ConfigurationError.self) {
            _ = try await ConfigurationLoader(filePath: "/nonexistent/sekisho.yaml", environment: [:]).load()
        }
    }

    @Test func everyKeyIsDocumentedInTheProductionExample() throws {
        let example = try String(contentsOfFile: repositoryRoot() + "/Config/sekisho.production.yaml", encoding: .utf8)
        for key in ConfigurationKey.all {
            let leaf = key.name.split(separator: ".").last!
            #expect(example.contains("\(leaf):"), "Config/sekisho.production.yaml does not explain \(key.name)")
        }
    }

    @Test func productionExampleLoads() async throws {
        let configuration = try await ConfigurationLoader(filePath: repositoryRoot() + "/Config/sekisho.production.yaml", environment: [:]).load()
        #expect(configuration.server.publicURL?.absoluteString == "https://login.example.com")
        #expect(configuration.server.isHTTPS)
    }
}

/// The package root, found from this file's path; tests read the shipped Config/ and Public/.
func repositoryRoot(file: String = #filePath) -> String {
    URL(fileURLWithPath: file).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
}
