import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A real program started by a test (`sekisho`, nginx, chronyd, aiosmtpd, PostgreSQL's tools,
/// oathtool, zbarimg...): the one launcher of the test targets.
///
/// - Started with `posix_spawn`, every inherited descriptor above 2 closed: a long-lived child
///   that inherited the write end of another test's pipe would keep that test's read from ever
///   ending. The signal mask is emptied, since a child inherits the spawning thread's, in which
///   the test runner's threads block SIGTERM.
/// - A thread of its own waits for the child (`waitpid`): never Swift's cooperative pool, and never
///   Foundation's `Process`, whose termination notice was seen not to arrive for `pg_ctl start`.
/// - Ended with SIGKILL by ``kill()``, by the end of ``whileRunning(_:)`` and when the object
///   goes away: no test leaves a program running. Nothing here needs a clean shutdown.
public final class ChildProcess: Sendable {
    public let name: String
    public let pid: pid_t
    /// Where standard error goes, and standard output unless it is captured.
    public let logPath: String
    /// The read end of standard output when captured (for ``firstLine(timeout:)``), else -1.
    private let outputDescriptor: Int32
    private let exit: ExitState

    /// Starts `executable` in `directory`, with standard input from `/dev/null`; standard error
    /// appended to `logPath`, and standard output too unless it goes to `outputPath` or is captured
    /// (`captureOutput`, for ``firstLine(timeout:)``).
    public convenience init(
        _ name: String,
        executable: String,
        arguments: [String],
        directory: String = FileManager.default.temporaryDirectory.path,
        logPath: String,
        outputPath: String? = nil,
        environment: [String: String] = ChildProcess.environment,
        captureOutput: Bool = false
    ) throws {
        var output: Redirection = .file(outputPath ?? logPath)
        var readEnd: Int32 = -1
        if captureOutput {
            var ends: [Int32] = [-1, -1]
            guard pipe(&ends) == 0 else { throw TestSupportError("pipe() failed: errno \(errno)") }
            for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
            (readEnd, output) = (ends[0], .descriptor(ends[1]))
        }
        defer { if case .descriptor(let writeEnd) = output { close(writeEnd) } }
        do {
            try self.init(
                name: name,
                executable: try Self.locate(executable),
                arguments: arguments,
                directory: directory,
                environment: environment,
                input: "/dev/null",
                output: output,
                error: .file(logPath),
                logPath: logPath,
                outputDescriptor: readEnd
            )
        } catch {
            if readEnd >= 0 { close(readEnd) }
            throw error
        }
    }

    /// The launcher itself, for ``Command``: any redirections, an already located executable.
    init(
        name: String,
        executable: String,
        arguments: [String],
        directory: String,
        environment: [String: String],
        input: String,
        output: Redirection,
        error: Redirection,
        logPath: String,
        outputDescriptor: Int32
    ) throws {
        self.name = name
        self.logPath = logPath
        self.outputDescriptor = outputDescriptor
        self.pid = try Self.spawn(
            executable,
            arguments,
            directory: directory,
            environment: environment,
            input: input,
            output: output,
            error: error
        )
        self.exit = ExitState(pid: pid)
    }

    /// Runs `body` with this program and kills it afterwards, whatever happens:
    /// `try await ChildProcess(...).whileRunning { process in ... }`.
    public func whileRunning<Result>(_ body: (ChildProcess) async throws -> Result) async throws -> Result {
        try await withCleanup(self, cleanup: { $0.kill() }, body)
    }

    deinit {
        kill()
        if outputDescriptor >= 0 { close(outputDescriptor) }
    }

    // MARK: - A running program

    public var isRunning: Bool { exit.status == nil }

    /// The exit code, or the number of the signal that ended it; nil while it runs.
    public var exitStatus: Int32? {
        exit.status.map { status in status & 0x7f == 0 ? (status >> 8) & 0xff : status & 0x7f }
    }

    /// What the program wrote to its log so far, for failure messages.
    public func log() -> String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Ends the program (SIGKILL) if it still runs and waits until it is gone.
    public func kill() {
        exit.signal(SIGKILL)
        exit.group.wait()
    }

    /// Waits at most `timeout` for the program to end by itself; its ``exitStatus``, or nil if it still runs.
    public func waitForExit(timeout: Duration) async -> Int32? {
        let ended = try? await offPool { [self] in waitForExitBlocking(timeout: timeout) }
        return ended == true ? exitStatus : nil
    }

    /// Blocks at most `timeout` until the program has ended by itself; whether it has.
    func waitForExitBlocking(timeout: Duration) -> Bool {
        exit.group.wait(timeout: .now() + timeout.seconds) == .success
    }

    /// The first line the program prints (with `captureOutput`), waiting at most `timeout`: how a
    /// server that binds port 0 itself reports its port. A program that prints nothing in time is killed.
    public func firstLine(timeout: Duration = .seconds(20)) async -> String {
        let descriptor = outputDescriptor
        guard descriptor >= 0 else { return "" }
        // The watchdog ends a program that never prints, which also ends the blocking read.
        let watchdog = DispatchWorkItem { [exit] in exit.signal(SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout.seconds, execute: watchdog)
        defer { watchdog.cancel() }
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var bytes: [UInt8] = []
                var chunk = [UInt8](repeating: 0, count: 4096)
                while !bytes.contains(UInt8(ascii: "\n")) {
                    let count = read(descriptor, &chunk, chunk.count)
                    if count < 0 && errno == EINTR { continue }
                    if count <= 0 { break }
                    bytes += chunk[0..<count]
                }
                continuation.resume(returning: String(decoding: bytes.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self))
            }
        }
    }

    // MARK: - Starting

    /// The test's environment without `SEKISHO_...` variables (such as `SEKISHO_BIN`): `sekisho`
    /// refuses variables with its prefix that are not configuration keys.
    public static var environment: [String: String] {
        ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SEKISHO_") }
    }

    enum Redirection {
        /// Appended to the file, which is made if missing.
        case file(String)
        /// A descriptor of ours, such as a pipe's write end.
        case descriptor(Int32)
    }

    /// Finds an executable by absolute path or in `PATH` and the standard system directories.
    static func locate(_ executable: String) throws -> String {
        if executable.contains("/") {
            guard FileManager.default.isExecutableFile(atPath: executable) else {
                throw TestSupportError("\(executable) not found or not executable: install its Debian package (CI does)")
            }
            return executable
        }
        let directories =
            (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
            + ["/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"]
        for directory in directories where FileManager.default.isExecutableFile(atPath: directory + "/" + executable) {
            return directory + "/" + executable
        }
        throw TestSupportError(
            "external tool '\(executable)' not found in PATH or system directories; it is required by this test (install its Debian package, as CI does)"
        )
    }

    private static func spawn(
        _ executable: String,
        _ arguments: [String],
        directory: String,
        environment: [String: String],
        input: String,
        output: Redirection,
        error: Redirection
    ) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, input, O_RDONLY, 0)
        for (target, redirection) in [(Int32(1), output), (2, error)] {
            switch redirection {
            case .file(let path): posix_spawn_file_actions_addopen(&actions, target, path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            case .descriptor(let descriptor): posix_spawn_file_actions_adddup2(&actions, descriptor, target)
            }
        }
        try GlibcExtensions.addCloseFrom(&actions, 3)
        try GlibcExtensions.addChdir(&actions, directory)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for string in argv + envp { free(string) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard spawned == 0 else { throw TestSupportError("cannot start \(executable): \(String(cString: strerror(spawned)))") }
        return pid
    }
}

extension Duration {
    /// In seconds, for Dispatch's deadlines.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// The wait status of one child, set once by the thread that reaps it.
private final class ExitState: Sendable {
    private let pid: pid_t
    private let reaped = Mutex<Int32?>(nil)
    /// Left when the child is reaped; waited on by kill() and the waits for an exit.
    let group = DispatchGroup()

    init(pid: pid_t) {
        self.pid = pid
        group.enter()
        // Waits without reaping first, then reaps under the lock: while `status` is nil the pid
        // still names our child (running or a zombie), never a process that reused the number.
        Thread.detachNewThread { [self] in
            var info = siginfo_t()
            while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR {}
            reaped.withLock { status in
                var wait: Int32 = 0
                while waitpid(pid, &wait, 0) < 0 && errno == EINTR {}
                status = wait
            }
            group.leave()
        }
    }

    var status: Int32? { reaped.withLock { $0 } }

    /// Sends `signal` to the child unless it has been reaped.
    func signal(_ signal: Int32) {
        reaped.withLock { status in
            if status == nil { _ = Glibc.kill(pid, signal) }
        }
    }
}
