import Foundation

/// Runs a real external program (oathtool, zbarimg, ...) for tests that cross-check against it.
///
/// A missing program is an error, never a silent skip: CI installs every tool the tests need,
/// so its absence means a broken environment that must be noticed.
enum ExternalTool {
    /// Why a run failed before the program could report a status.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs `executable` with `arguments`, feeds it `stdin`, and waits at most `timeout`.
    ///
    /// - Parameters:
    ///   - executable: A program name looked up in `PATH` (plus the usual system directories),
    ///     or an absolute path.
    ///   - arguments: Arguments, passed as-is (no shell).
    ///   - stdin: Bytes written to the program's standard input, which is then closed; `nil` gives it
    ///     an empty input.
    ///   - timeout: After this long the program is killed and ``Failure`` is thrown.
    /// - Returns: The exit status (or terminating signal number) and the captured output as UTF-8.
    static func run(
        _ executable: String,
        _ arguments: [String],
        stdin: Data? = nil,
        timeout: Duration = .seconds(10)
    ) throws -> (status: Int32, stdout: String, stderr: String) {
        let path = try locate(executable)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let inputPipe = Pipe()
        let outputPipe = Pipe()
        let errorPipe = Pipe()
        process.standardInput = inputPipe
        process.standardOutput = outputPipe
        process.standardError = errorPipe

        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        do {
            try process.run()
        } catch {
            throw Failure(description: "could not start \(path): \(error)")
        }

        // Read and write on separate threads so a program that fills one pipe cannot deadlock us.
        let pending = DispatchGroup()
        let collected = Collected()
        let input = inputPipe.fileHandleForWriting
        DispatchQueue.global().async(group: pending) {
            if let stdin { try? input.write(contentsOf: stdin) }
            try? input.close()
        }
        let output = outputPipe.fileHandleForReading
        DispatchQueue.global().async(group: pending) {
            collected.set(stdout: output.readDataToEndOfFile())
        }
        let errors = errorPipe.fileHandleForReading
        DispatchQueue.global().async(group: pending) {
            collected.set(stderr: errors.readDataToEndOfFile())
        }

        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        if exited.wait(timeout: .now() + seconds) == .timedOut {
            process.terminate()
            if exited.wait(timeout: .now() + 1) == .timedOut {
                kill(process.processIdentifier, SIGKILL)
                exited.wait()
            }
            _ = pending.wait(timeout: .now() + 1)
            throw Failure(description: "\(executable) \(arguments.joined(separator: " ")) did not finish within \(timeout); killed")
        }
        // The program has exited; its pipes reach end of file unless it left a child holding them.
        if pending.wait(timeout: .now() + seconds) == .timedOut {
            throw Failure(description: "\(executable) exited but its output pipes stayed open")
        }
        let (stdout, stderr) = collected.values
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }

    /// Finds an executable by absolute path or in `PATH` and the standard system directories.
    private static func locate(_ executable: String) throws -> String {
        let fileManager = FileManager.default
        if executable.contains("/") {
            guard fileManager.isExecutableFile(atPath: executable) else {
                throw Failure(description: "external tool \(executable) not found or not executable")
            }
            return executable
        }
        let pathVariable = ProcessInfo.processInfo.environment["PATH"] ?? ""
        var directories = pathVariable.split(separator: ":").map(String.init)
        directories += ["/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"]
        for directory in directories {
            let candidate = directory + "/" + executable
            if fileManager.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw Failure(
            description: "external tool '\(executable)' not found in PATH or system directories; "
                + "it is required by this test (install its Debian package, as CI does)"
        )
    }

    /// Output gathered by the reader threads.
    private final class Collected: @unchecked Sendable {
        private let lock = NSLock()
        private var stdout = Data()
        private var stderr = Data()

        func set(stdout data: Data) { lock.withLock { stdout = data } }
        func set(stderr data: Data) { lock.withLock { stderr = data } }
        var values: (Data, Data) { lock.withLock { (stdout, stderr) } }
    }
}
