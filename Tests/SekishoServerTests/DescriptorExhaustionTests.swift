import Foundation
import Synchronization
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The real `sekisho serve` with few file descriptors (`prlimit --nofile`), under more clients
/// than it has descriptors: it refuses what it cannot take, never traps, and answers afterwards.
///
/// Runs `<repo>/.build/debug/sekisho`, which `swift build --build-tests` leaves there.
@Suite(.serialized) struct DescriptorExhaustionTests {
    static let descriptors = 128
    static let password = "correct horse battery"

    @Test func aServerShortOfDescriptorsKeepsAnswering() async throws {
        let binary = repositoryRoot() + "/.build/debug/sekisho"
        try #require(FileManager.default.isExecutableFile(atPath: binary), "\(binary) not found: run `swift build` first")
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/prlimit"))
        try await ScratchDirectory.with("fd") { scratch in
            let data = scratch.path
            let common = ["--data-dir", data + "/data", "--set", "clock.check=false", "--set", "server.public_directory=\(repositoryRoot())/Public"]
            let added = try await Command(
                binary,
                ["user", "add", "alice", "--email", "alice@example.com"] + common,
                input: Self.password + "\n",
                directory: data
            ).run()
            try #require(added.status == 0, "\(added)")

            let reservation = try FreePort.reserve()
            let port = reservation.port
            try await ChildProcess(
                "sekisho",
                executable: "/usr/bin/prlimit",
                arguments: ["--nofile=\(Self.descriptors):\(Self.descriptors)", "--", binary, "serve", "--host", "127.0.0.1", "--port", "\(port)"]
                    + common,
                directory: data,
                logPath: data + "/serve.log"
            ).whileRunning { server in
                try await Self.waitUntilHealthy(port: port, server: server)
                reservation.release()

                // First twice as many connections as descriptors, held open, while a mixed load runs:
                // the load is refused at once, never left waiting. Then just under the bound: the load
                // is served with descriptors running short (database readers and static files).
                let bound = (Self.descriptors - 64) / 2
                for (phase, holding, clients) in [(Self.descriptors * 2, 16), (bound - 8, 8)].enumerated().map({ ($0, $1.0, $1.1) }) {
                    let held = try await offPool { (0..<holding).compactMap { _ in try? RawHTTPClient.connected(port: port) } }
                    let statuses = try await offPool { Self.load(port: port, clients: clients) }
                    for socket in held { close(socket) }
                    try await Self.waitUntilHealthy(port: port, server: server)
                    // 0: the connection was refused or reset, allowed beyond the bound; a 500 is not, and
                    // neither is -1, a client left waiting (the server stopped accepting).
                    #expect(Set(statuses.keys).isSubset(of: [0, 200, 302, 303, 403, 404, 503]), "phase \(phase): \(statuses)")
                }
                #expect(server.isRunning, "sekisho ended: \(server.log())")
                try await Self.waitUntilHealthy(port: port, server: server)
                // And it still does real work: a complete password check with its database writes.
                let signedIn = try await offPool {
                    var browser = RawHTTPClient()
                    return Self.signIn(port: port, &browser)
                }
                #expect(signedIn == 303, "\(server.log().suffix(3000))")
                #expect(!server.log().contains("Fatal error") && !server.log().contains("*** Signal"), "\(server.log().suffix(3000))")
            }
        }
    }

    /// `clients` clients, each sending twelve rounds of mixed requests; how often each status came.
    static func load(port: Int, clients: Int) -> [Int: Int] {
        let statuses = Mutex<[Int: Int]>([:])
        DispatchQueue.concurrentPerform(iterations: clients) { worker in
            for round in 0..<12 {
                for status in mixedRound(port: port, variant: worker + round) {
                    statuses.withLock { $0[status, default: 0] += 1 }
                }
            }
        }
        return statuses.withLock { $0 }
    }

    /// The status of one exchange: 0 when the connection failed (refused, reset), -1 when the
    /// server accepted it but never answered within the client's 10 s (a stalled server).
    static func status(_ exchange: () throws -> RawHTTPClient.Response) -> Int {
        do {
            return try exchange().status
        } catch {
            // RawHTTPClient's read gives EAGAIN when its receive timeout passes.
            return "\(error)".hasPrefix("read from") && "\(error)".contains("(errno \(EAGAIN))") ? -1 : 0
        }
    }

    /// One of each kind of request; the status of each (see ``status(_:)``).
    static func mixedRound(port: Int, variant: Int) -> [Int] {
        var browser = RawHTTPClient()
        var statuses: [Int] = []
        let requests: [(String, String)] = [
            ("GET", "/login"), ("GET", "/static/sekisho.css"), ("GET", "/readyz"), ("HEAD", "/"), ("GET", "/nowhere"),
        ]
        let (method, path) = requests[variant % requests.count]
        statuses.append(status { try browser.sendBlocking(port: port, method, path, host: "localhost") })
        statuses.append(signIn(port: port, &browser))
        return statuses
    }

    /// Signs in as alice (the password step): 303 to the next step, or the status of a refusal.
    static func signIn(port: Int, _ browser: inout RawHTTPClient) -> Int {
        let page: RawHTTPClient.Response
        do {
            page = try browser.sendBlocking(port: port, "GET", "/login", host: "localhost")
        } catch {
            return status { throw error }
        }
        guard let csrf = Browser.firstMatch(#"name="csrf" value="([^"]+)""#, in: page.body) else { return page.status }
        let form = [("username", "alice"), ("password", password), ("csrf", csrf)]
        var client = browser
        defer { browser = client }
        return status {
            try client.sendBlocking(port: port, "POST", "/login", host: "localhost", headers: [("Origin", "http://localhost")], form: form)
        }
    }

    static func waitUntilHealthy(port: Int, server: ChildProcess) async throws {
        for _ in 0..<400 {
            let status = try? await offPool {
                try RawHTTPClient.sendRaw(port: port, "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").status
            }
            if status == 200 { return }
            try #require(server.isRunning, "sekisho ended: \(server.log())")
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("sekisho did not answer /healthz within 20 s: \(server.log())")
    }
}
