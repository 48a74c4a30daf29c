import Foundation
import Synchronization
import TestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A real PostgreSQL server for the tests: `initdb` into a temporary folder, `pg_ctl start` on a
/// free loopback port, one fresh database per test.
///
/// One server per test process, started on first use. It is stopped by an `atexit` handler
/// (immediate shutdown of the postmaster, then the folder is removed). If the test process is
/// killed before that runs, the next start finds the orphaned folder (its `owner.pid` names a dead
/// process), stops that server and removes it, so no run leaves servers behind for long.
///
/// Needs Debian's `postgresql` (15) in `/usr/lib/postgresql/15/bin`, or `SEKISHO_PG_BIN`. As root,
/// the server runs as the `postgres` OS user (PostgreSQL refuses to run as root). Password
/// authentication (SCRAM) on TCP, so the tests exercise URL credentials; trust on the socket,
/// which only the test helper uses to create databases.
///
/// The programs run through ``ChildProcess``, which closes every inherited descriptor (the
/// postmaster lives for the whole run and must not hold another test's pipe), and waiting for
/// them happens off Swift's cooperative pool (one thread per core: two blocked threads there
/// would stop every test).
public actor PostgresTestServer {
    public static let shared = PostgresTestServer()

    public static let username = "sekisho"
    /// Characters that must be percent-encoded in a URL, to test the decoding.
    public static let password = "p@ss:w/rd"
    public static let encodedPassword = "p%40ss%3Aw%2Frd"

    struct Running {
        let root: URL
        let port: Int
        var socketDirectory: String { root.path }
        var dataDirectory: String { root.appendingPathComponent("data").path }
    }

    /// The start, shared by every test that asks while it is under way.
    private var starting: Task<Running, any Error>?

    /// A URL (with the password) of a new, empty database on the shared server.
    public func makeDatabaseURL() async throws -> String {
        let server = try await start()
        let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let psql = try Self.binary("psql")
        try await offPool {
            try Self.run(
                psql,
                [
                    "-X", "-q", "-h", server.socketDirectory, "-p", "\(server.port)", "-U", Self.username, "-d", "postgres", "-c",
                    "CREATE DATABASE \(name)",
                ],
                timeout: 30
            )
        }
        return "postgres://\(Self.username):\(Self.encodedPassword)@127.0.0.1:\(server.port)/\(name)"
    }

    /// The port of the shared server, for tests that need a URL of their own.
    public func port() async throws -> Int { try await start().port }

    private func start() async throws -> Running {
        if let starting { return try await starting.value }
        let task = Task.detached { try await offPool { try Self.startServer() } }
        starting = task
        return try await task.value
    }

    private static func startServer() throws -> Running {
        Self.removeOrphans()
        // Not removed at the end of a scope: the server lives until the process exits (see stopAtExit).
        let root = try ScratchDirectory("pg").url
        try "\(getpid())".write(to: root.appendingPathComponent("owner.pid"), atomically: true, encoding: .utf8)
        let passwordFile = root.appendingPathComponent("password")
        try "\(Self.password)\n".write(to: passwordFile, atomically: true, encoding: .utf8)
        if Self.asRoot {
            try Self.run("/bin/chown", ["-R", "postgres", root.path], timeout: 10)
        }
        // Registered before the server starts, so that a failure half-way still cleans up.
        Self.cleanup.withLock { $0 = root.path }
        atexit { PostgresTestServer.stopAtExit() }

        try Self.run(
            Self.binary("initdb"),
            [
                "-D", root.appendingPathComponent("data").path, "-U", Self.username, "--auth-local=trust", "--auth-host=scram-sha-256",
                "--pwfile=\(passwordFile.path)", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
            ],
            timeout: 120
        )
        // Held until the server listens (PostgreSQL binds with SO_REUSEADDR, so it can share it meanwhile).
        let reservation = try FreePort.reserve()
        defer { reservation.release() }
        let port = reservation.port
        // fsync off: a test server's data need not survive a power cut; the tests run faster.
        let options = "-p \(port) -k \(root.path) -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=400"
        try Self.run(
            Self.binary("pg_ctl"),
            [
                "-D", root.appendingPathComponent("data").path, "-o", options, "-l", root.appendingPathComponent("server.log").path, "-w", "-t", "60",
                "start",
            ],
            timeout: 90
        )
        return Running(root: root, port: port)
    }

    // MARK: - Cleanup

    private static let cleanup = Mutex<String?>(nil)

    /// Runs at process exit: SIGQUIT is PostgreSQL's immediate shutdown (no checkpoint needed for
    /// a folder that is deleted next).
    private static func stopAtExit() {
        guard let root = cleanup.withLock({ $0 }) else { return }
        stopServer(inFolder: root)
    }

    private static func stopServer(inFolder root: String) {
        let pidFile = root + "/data/postmaster.pid"
        if let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
            let line = text.split(separator: "\n").first, let pid = pid_t(line.trimmingCharacters(in: .whitespaces))
        {
            kill(pid, SIGQUIT)
            // Bounded wait for the postmaster to go, so that the folder is not removed under it.
            for _ in 0..<500 where kill(pid, 0) == 0 {
                usleep(10_000)
            }
        }
        try? FileManager.default.removeItem(atPath: root)
    }

    /// Stops servers of earlier test processes that died before their `atexit` ran.
    private static func removeOrphans() {
        let temporary = FileManager.default.temporaryDirectory
        let names = (try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? []
        for name in names where name.hasPrefix("sekisho-pg-") {
            let root = temporary.appendingPathComponent(name).path
            guard let owner = try? String(contentsOfFile: root + "/owner.pid", encoding: .utf8), let pid = pid_t(owner) else { continue }
            if kill(pid, 0) != 0, errno == ESRCH {
                stopServer(inFolder: root)
            }
        }
    }

    // MARK: - Processes

    public struct CommandFailed: Error, CustomStringConvertible {
        public let description: String
    }

    public static var binDirectory: String {
        ProcessInfo.processInfo.environment["SEKISHO_PG_BIN"] ?? "/usr/lib/postgresql/15/bin"
    }

    private static var asRoot: Bool { getuid() == 0 }

    private static func binary(_ name: String) throws -> String {
        let path = binDirectory + "/" + name
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw CommandFailed(
                description: "\(path) not found: install Debian's postgresql package (or set SEKISHO_PG_BIN) to run the PostgreSQL store tests"
            )
        }
        return path
    }

    /// Runs `executable` (as `postgres` when root) and throws with its output unless it exits 0
    /// within `timeout` seconds; a process that overruns is killed.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], timeout: Int) throws -> String {
        let argv = (asRoot && executable != "/bin/chown" ? ["/usr/sbin/runuser", "-u", "postgres", "--", executable] : [executable]) + arguments
        let result = try Command(argv[0], Array(argv.dropFirst()), timeout: .seconds(timeout)).runBlocking()
        guard result.status == 0 else {
            throw CommandFailed(
                description: "\(executable) \(arguments.joined(separator: " ")) failed (status \(result.status)): \(result.output)\(result.error)"
            )
        }
        return result.output
    }
}
