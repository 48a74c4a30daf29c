import Foundation
import PostgresTesting
import SekishoStore
import TestSupport
import Testing

/// Two real `sekisho serve` processes on one fresh database of the test PostgreSQL server, as
/// behind a load balancer: the same key, the same public URL, each with its own port.
///
/// Requests go straight to either port with the public Host and Origin, the way a load balancer
/// forwards them; which instance answers is the test's choice.
final class PostgresInstances: Sendable {
    static let password = "correct horse battery"

    let url: String
    private let scratch: ScratchDirectory
    var directory: String { scratch.path }
    let instances: [Instance]
    /// The address users type (instance `a`'s), shared by both.
    let publicHost: String

    struct Instance: Sendable {
        let name: String
        let port: Int
        let process: ChildProcess
    }

    var a: Instance { instances[0] }
    var b: Instance { instances[1] }
    var origin: [(String, String)] { [("Origin", "http://\(publicHost)")] }

    /// Creates `users` (with two-factor on) at the console, then starts both instances with
    /// `settings` (`key=value`) added to the shared ones, on `databaseURL` (default: a new
    /// database) with `masterKey` (default: a new key).
    init(users: [String], settings: [String] = [], databaseURL: String? = nil, masterKey: String? = nil) async throws {
        let sekisho = try NginxForwardAuthTests.sekishoBinary()
        if let databaseURL { url = databaseURL } else { url = try await PostgresTestServer.shared.makeDatabaseURL() }
        scratch = try ScratchDirectory("instances")
        let directory = scratch.path
        let key = masterKey ?? Self.newKey()
        // Held until both instances serve (Hummingbird binds with SO_REUSEADDR, so it can share them meanwhile).
        let reservations = [try FreePort.reserve(), try FreePort.reserve()]
        let ports = reservations.map(\.port)
        publicHost = "127.0.0.1:\(ports[0])"
        let shared =
            [
                "database.url=\(url)", "database.pool_size=4", "keys.master_key=\(key)", "clock.check=false",
                "server.public_directory=\(repositoryRoot())/Public", "server.public_url=http://\(publicHost)",
            ] + settings
        let flags = shared.flatMap { ["--set", $0] }

        for user in users {
            let created = try await Command(
                sekisho,
                ["user", "add", user, "--email", "\(user)@example.com", "--two-factor", "--data-dir", directory + "/console"] + flags,
                input: Self.password + "\n",
                directory: directory
            ).run()
            guard created.status == 0 else { throw BrowserError("sekisho user add \(user): \(created.error)") }
        }
        var started: [Instance] = []
        for (name, port) in zip(["a", "b"], ports) {
            let process = try ChildProcess(
                "sekisho-\(name)",
                executable: sekisho,
                arguments: ["serve", "--data-dir", "\(directory)/\(name)", "--port", "\(port)"] + flags,
                directory: directory,
                logPath: "\(directory)/sekisho-\(name).log"
            )
            started.append(Instance(name: name, port: port, process: process))
        }
        instances = started
        for instance in instances {
            try await NginxForwardAuthTests.waitUntilServing(instance.process, port: instance.port, path: "/healthz", host: publicHost)
        }
        for reservation in reservations { reservation.release() }
    }

    /// Runs `body` with two started instances (see `init`) and stops them afterwards, whatever happens.
    static func with<Result>(
        users: [String],
        settings: [String] = [],
        databaseURL: String? = nil,
        masterKey: String? = nil,
        _ body: (PostgresInstances) async throws -> Result
    ) async throws -> Result {
        let instances = try await PostgresInstances(users: users, settings: settings, databaseURL: databaseURL, masterKey: masterKey)
        return try await withCleanup(instances, cleanup: { $0.stop() }, body)
    }

    /// A master key (`keys.master_key`): 32 random bytes in base64.
    static func newKey() -> String {
        Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
    }

    /// Stops both instances and removes their folder (the database goes with the test server).
    func stop() {
        for instance in instances { instance.process.kill() }
        scratch.remove()
    }

    /// Both instances' logs, for failure messages.
    var logs: String { instances.map { "--- \($0.name)\n\($0.process.log())" }.joined(separator: "\n") }

    /// A store of the test's own on the shared database (its pool runs until `body` returns).
    func withStore<T: Sendable>(_ body: (PostgresStore) async throws -> T) async throws -> T {
        let store = try PostgresStore(url: url, poolSize: 2)
        return try await store.whileRunning { try await body(store) }
    }

    // MARK: - Steps of a sign-in, sent to one instance

    /// `GET path` on `instance`, returning the page and its CSRF token.
    func page(_ path: String, at instance: Instance, _ browser: inout RawHTTPClient) async throws -> (RawHTTPClient.Response, String) {
        let page = try await browser.send(port: instance.port, "GET", path, host: publicHost)
        let csrf = try #require(Browser.firstMatch(#"name="csrf" value="([^"]+)""#, in: page.body), "no form on \(path): \(page.status)")
        return (page, csrf)
    }

    /// A form post with the page's CSRF token, as the browser sends it.
    func post(
        _ path: String,
        _ fields: [(String, String)],
        csrf: String,
        at instance: Instance,
        _ browser: inout RawHTTPClient
    ) async throws -> RawHTTPClient.Response {
        try await browser.send(port: instance.port, "POST", path, host: publicHost, headers: origin, form: fields + [("csrf", csrf)])
    }

    /// The password step on `instance`; the answer (a redirect to the code page when it worked).
    func enterPassword(
        _ user: String,
        password: String = PostgresInstances.password,
        at instance: Instance,
        _ browser: inout RawHTTPClient
    ) async throws -> RawHTTPClient.Response {
        let (_, csrf) = try await page("/login", at: instance, &browser)
        return try await post("/login", [("username", user), ("password", password)], csrf: csrf, at: instance, &browser)
    }

    /// Password, then enrollment with the current code from `oathtool`; returns the 24-character key.
    func signInAndEnroll(_ user: String, at instance: Instance, _ browser: inout RawHTTPClient) async throws -> String {
        let passwordStep = try await enterPassword(user, at: instance, &browser)
        let enrollPath = try #require(passwordStep.header("Location"), "password step: \(passwordStep.status)\n\(logs)")
        let (enrollPage, csrf) = try await page(enrollPath, at: instance, &browser)
        let key = try #require(
            Browser.firstMatch(#"id="manual-key">(.*?)</p>"#, in: enrollPage.body)?.replacingOccurrences(of: "<span>", with: "")
                .replacingOccurrences(of: "</span>", with: "")
        )
        let confirmed = try await post("/login/enroll", [("code", try await Self.code(for: key))], csrf: csrf, at: instance, &browser)
        guard confirmed.status == 200, browser.cookies["sekisho_session"] != nil else {
            throw BrowserError("enrollment on \(instance.name) failed: \(confirmed.status)\n\(logs)")
        }
        return key
    }

    /// The code `oathtool` computes for `key`, `stepOffset` steps of 30 s from now.
    static func code(for key: String, stepOffset: Int = 0) async throws -> String {
        let at = Int(Date().timeIntervalSince1970) + 30 * stepOffset
        let totp = try await Command("/usr/bin/oathtool", ["--totp", "-b", "--now=@\(at)", key]).run()
        guard totp.status == 0 else { throw BrowserError("oathtool: \(totp.error)") }
        return totp.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
