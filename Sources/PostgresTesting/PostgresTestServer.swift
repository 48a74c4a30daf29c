import Foundation
import Synchronization

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
/// Two rules keep it from disturbing the other tests of the process:
/// - The programs run with every inherited descriptor above 2 closed. The postmaster lives for
///   the whole run; had it inherited the write end of another test's pipe, that test's read
///   would never see the end of its child's output.
/// - Waiting for a program happens on a thread of its own, never on Swift's cooperative pool
///   (one thread per core: two blocked threads here would stop every test).
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
        try await Self.runOffPool {
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
        let task = Task.detached { try await Self.runOffPool { try Self.startServer() } }
        starting = task
        return try await task.value
    }

    /// Runs a blocking `body` on a new thread and waits for it without holding a pool thread.
    private static func runOffPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try body() })
            }
        }
    }

    private static func startServer() throws -> Running {
        Self.removeOrphans()
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("sekisho-pg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
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
        let port = try Self.freePort()
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
    ///
    /// posix_spawn and waitpid rather than Foundation's `Process`, whose termination notice was
    /// seen not to arrive for `pg_ctl start` (whose server child outlives it).
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], timeout: TimeInterval) throws -> String {
        let argv = (asRoot && executable != "/bin/chown" ? ["/usr/sbin/runuser", "-u", "postgres", "--", executable] : [executable]) + arguments
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("sekisho-pg-output-\(UUID().uuidString)").path
        defer { unlink(outputPath) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        try closeInheritedDescriptors(&actions)

        let cArguments = argv.map { strdup($0) } + [nil]
        defer {
            for argument in cArguments { free(argument) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, cArguments, environ)
        guard spawned == 0 else { throw CommandFailed(description: "cannot start \(argv[0]): errno \(spawned)") }

        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 {
            if Date() > deadline {
                kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                throw CommandFailed(description: "\(executable) did not finish within \(Int(timeout)) s")
            }
            usleep(10_000)
        }
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        // WIFEXITED and WEXITSTATUS are macros; their arithmetic, spelled out.
        let exited = status & 0x7f == 0
        let code = (status >> 8) & 0xff
        guard exited && code == 0 else {
            throw CommandFailed(description: "\(executable) \(arguments.joined(separator: " ")) failed (status \(status)): \(output)")
        }
        return output
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), looked up at run time because
    /// Swift's Glibc module does not declare it.
    private static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) throws {
        typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "posix_spawn_file_actions_addclosefrom_np") else {
            throw CommandFailed(description: "this C library has no posix_spawn_file_actions_addclosefrom_np (glibc 2.34 or newer needed)")
        }
        let addCloseFrom = unsafeBitCast(symbol, to: AddCloseFrom.self)
        let result = addCloseFrom(&actions, 3)
        guard result == 0 else { throw CommandFailed(description: "posix_spawn_file_actions_addclosefrom_np failed: errno \(result)") }
    }

    /// A loopback port nobody listens on now (the kernel's choice for port 0).
    public static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw CommandFailed(description: "socket() failed: errno \(errno)") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw CommandFailed(description: "bind() failed: errno \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
