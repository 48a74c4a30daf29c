import ArgumentParser
import Foundation
import Logging
import SekishoServer
import SekishoStore

/// Options every command shares: where the configuration comes from, and overrides.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: "Configuration file (default: $SEKISHO_CONFIG, else Config/sekisho.yaml when present).")
    var config: String?

    @Option(name: .long, help: "Override one key, e.g. --set server.port=9090 (repeatable).")
    var set: [String] = []

    @Option(name: .long, help: "Shorthand for --set server.host=...")
    var host: String?

    @Option(name: .long, help: "Shorthand for --set server.port=...")
    var port: String?

    @Option(name: .customLong("data-dir"), help: "Shorthand for --set data.directory=...")
    var dataDirectory: String?

    /// Loads the configuration; prints the problem and exits with status 2 when it is wrong.
    func load() async throws -> SekishoConfiguration {
        let environment = ProcessInfo.processInfo.environment
        var path = config ?? environment["SEKISHO_CONFIG"]
        if path == nil, FileManager.default.fileExists(atPath: "Config/sekisho.yaml") {
            path = "Config/sekisho.yaml"
        }
        var overrides: [String: String] = [:]
        for item in set {
            guard let equals = item.firstIndex(of: "=") else {
                throw Fatal("--set expects key=value, got '\(item)'", exitCode: 2)
            }
            overrides[String(item[..<equals])] = String(item[item.index(after: equals)...])
        }
        overrides["server.host"] = host ?? overrides["server.host"]
        overrides["server.port"] = port ?? overrides["server.port"]
        overrides["data.directory"] = dataDirectory ?? overrides["data.directory"]
        do {
            return try await ConfigurationLoader(filePath: path, environment: environment, overrides: overrides).load()
        } catch {
            throw Fatal(error.description, exitCode: 2)
        }
    }
}

/// Ends the process with a message for the operator and a chosen exit status, without a stack trace.
struct Fatal: Error {
    let message: String
    let exitCode: Int32

    init(_ message: String, exitCode: Int32) {
        self.message = message
        self.exitCode = exitCode
    }

    /// Prints to standard error and converts to ArgumentParser's exit.
    static func exit(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let fatal as Fatal {
            FileHandle.standardError.write(Data("sekisho: \(fatal.message)\n".utf8))
            throw ExitCode(fatal.exitCode)
        } catch let error as StartupError {
            FileHandle.standardError.write(Data("sekisho: \(error.message)\n".utf8))
            throw ExitCode(error.exitCode)
        } catch let error as StoreError {
            // Such as PostgreSQL down or a wrong password in database.url; the message says which.
            FileHandle.standardError.write(Data("sekisho: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
