import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A real program started by a test (the `sekisho` binary, nginx, a python upstream), killed at the end.
///
/// Ended with SIGKILL: a child started from a dispatch thread inherits that thread's blocked
/// signal mask, SIGTERM included (see SMTPTestServer), and nothing here needs a clean shutdown.
final class ChildProcess: @unchecked Sendable {
    let name: String
    let logPath: String
    private let process: Process
    private let output: Pipe

    /// Starts `executable`; standard error (and standard output unless `captureOutput`) go to `logPath`.
    init(_ name: String, executable: String, arguments: [String], directory: String, logPath: String, captureOutput: Bool = false) throws {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw BrowserError("\(name): \(executable) is missing or not executable")
        }
        self.name = name
        self.logPath = logPath
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.environment = Self.environment
        output = Pipe()
        if captureOutput {
            process.standardOutput = output
        } else {
            process.standardOutput = log
        }
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var isRunning: Bool { process.isRunning }

    func log() -> String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// The first line the program prints (with `captureOutput`), waiting at most `timeout` seconds.
    func firstLine(timeout: Double = 20) async -> String {
        let process = self.process
        let handle = output.fileHandleForReading
        // The watchdog ends a program that never prints, which also ends the blocking read.
        let watchdog = DispatchWorkItem { if process.isRunning { _ = Glibc.kill(process.processIdentifier, SIGKILL) } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
        defer { watchdog.cancel() }
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var bytes: [UInt8] = []
                while !bytes.contains(UInt8(ascii: "\n")) {
                    let chunk = handle.availableData
                    if chunk.isEmpty { break }
                    bytes += chunk
                }
                continuation.resume(returning: String(decoding: bytes.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self))
            }
        }
    }

    func kill() {
        if process.isRunning { _ = Glibc.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { kill() }

    /// Runs a program to its end (at most `timeout` seconds) and returns its exit status and standard output.
    static func run(
        _ executable: String,
        _ arguments: [String],
        input: String? = nil,
        directory: String = FileManager.default.temporaryDirectory.path,
        timeout: Double = 30
    ) async throws -> (status: Int32, output: String, error: String) {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw BrowserError("\(executable) is missing or not executable")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.environment = environment
        let output = Pipe()
        let error = Pipe()
        let input = input.map { Data($0.utf8) }
        let stdin = Pipe()
        process.standardOutput = output
        process.standardError = error
        process.standardInput = stdin
        try process.run()
        if let input { stdin.fileHandleForWriting.write(input) }
        try stdin.fileHandleForWriting.close()
        let watchdog = DispatchWorkItem { if process.isRunning { _ = Glibc.kill(process.processIdentifier, SIGKILL) } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
        defer { watchdog.cancel() }
        let (out, err) = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let out = output.fileHandleForReading.readDataToEndOfFile()
                let err = error.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                continuation.resume(returning: (out, err))
            }
        }
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }

    /// The test's environment without `SEKISHO_...` variables (such as `SEKISHO_BIN`): `sekisho`
    /// refuses variables with its prefix that are not configuration keys.
    static var environment: [String: String] {
        ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SEKISHO_") }
    }

    /// A loopback TCP port that was free a moment ago.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BrowserError("socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0 else { throw BrowserError("bind() failed") }
        let named = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        guard named == 0 else { throw BrowserError("getsockname() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
