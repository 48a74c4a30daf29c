import Foundation

/// A program to run to its end, as a test's tool (oathtool, zbarimg, openssl, psql, `sekisho user
/// add`...): `try await Command("oathtool", ["--totp", key]).run()`.
///
/// Started by ``ChildProcess``. Input and output go through files, not pipes, so that no output
/// size can block the program and no descendant left holding a pipe can keep the caller waiting.
/// A missing program is an error, never a skip: CI installs every tool the tests need.
public struct Command: Sendable {
    /// A finished program: its exit status (or the signal that ended it) and what it printed.
    public struct Output: Sendable, CustomStringConvertible {
        public let status: Int32
        public let output: String
        public let error: String

        public var description: String { "exit status \(status)\nstdout:\n\(output)\nstderr:\n\(error)" }
    }

    public let executable: String
    public let arguments: [String]
    public let input: String?
    public let directory: String
    public let timeout: Duration

    /// `executable` is an absolute path or a name looked up in `PATH` and the system directories;
    /// `input` goes to its standard input; after `timeout` it is killed and an error thrown.
    public init(
        _ executable: String,
        _ arguments: [String],
        input: String? = nil,
        directory: String = FileManager.default.temporaryDirectory.path,
        timeout: Duration = .seconds(30)
    ) {
        self.executable = executable
        self.arguments = arguments
        self.input = input
        self.directory = directory
        self.timeout = timeout
    }

    /// Runs the program, waiting off the cooperative pool.
    public func run() async throws -> Output {
        try await offPool { try runBlocking() }
    }

    /// Runs the program, blocking the calling thread: for synchronous tests and for code that
    /// already runs off the cooperative pool.
    public func runBlocking() throws -> Output {
        let files = try ScratchDirectory("run")
        defer { files.remove() }
        try Data((input ?? "").utf8).write(to: URL(fileURLWithPath: files.path("stdin")))
        let process = try ChildProcess(
            name: executable,
            executable: try ChildProcess.locate(executable),
            arguments: arguments,
            directory: directory,
            environment: ChildProcess.environment,
            input: files.path("stdin"),
            output: .file(files.path("stdout")),
            error: .file(files.path("stderr")),
            logPath: files.path("stderr"),
            outputDescriptor: -1
        )
        guard process.waitForExitBlocking(timeout: timeout) else {
            process.kill()
            throw TestSupportError("\(executable) \(arguments.joined(separator: " ")) did not finish within \(timeout); killed")
        }
        let read = { (name: String) in (try? String(contentsOfFile: files.path(name), encoding: .utf8)) ?? "" }
        return Output(status: process.exitStatus ?? -1, output: read("stdout"), error: read("stderr"))
    }
}
