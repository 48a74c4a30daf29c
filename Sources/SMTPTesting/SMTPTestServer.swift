/// Test support for SMTP: an aiosmtpd server run by Debian's python, shared by the test targets.
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A running aiosmtpd test server (see ``SMTPTestServerScript``) on a free loopback port.
public final class SMTPTestServer: @unchecked Sendable {
    /// Debian's python, which has python3-aiosmtpd; the `python3` on PATH may not.
    public static let python = "/usr/bin/python3"

    public let port: Int
    public let maildir: String
    private let process: Process
    private let logPath: String

    private init(process: Process, port: Int, maildir: String, logPath: String) {
        self.process = process
        self.port = port
        self.maildir = maildir
        self.logPath = logPath
    }

    /// Starts the script with `arguments` and waits (at most 20 s) for it to print its port.
    public static func start(_ arguments: [String], in directory: TestDirectory) async throws -> SMTPTestServer {
        guard FileManager.default.isExecutableFile(atPath: self.python) else {
            throw TestToolError(description: "\(self.python) is missing; install Debian's python3 and python3-aiosmtpd")
        }
        let script = directory.path("smtp_test_server.py")
        try SMTPTestServerScript.source.write(toFile: script, atomically: true, encoding: .utf8)
        let maildir = directory.path("maildir")
        try FileManager.default.createDirectory(atPath: maildir, withIntermediateDirectories: true)
        let logPath = directory.path("server.log")
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: self.python)
        process.arguments = [script, "--maildir", maildir] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        try process.run()

        // A watchdog ends a server that never becomes ready, which also ends the blocking read below.
        let watchdog = DispatchWorkItem { if process.isRunning { _ = Glibc.kill(process.processIdentifier, SIGKILL) } }
        DispatchQueue.global().asyncAfter(deadline: .now() + 20, execute: watchdog)
        let line = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: Self.readLine(output.fileHandleForReading))
            }
        }
        watchdog.cancel()
        guard line.hasPrefix("PORT "), let port = Int(line.dropFirst(5)) else {
            Self.kill(process)
            let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            throw TestToolError(description: "SMTP test server did not start (is python3-aiosmtpd installed?): \(line)\n\(log)")
        }
        return SMTPTestServer(process: process, port: port, maildir: maildir, logPath: logPath)
    }

    /// A loopback port with no listener, for connection-refused tests.
    public static func freePort(in directory: TestDirectory) async throws -> Int {
        let server = try await self.start(["--mode", "free-port"], in: directory)
        server.stop()
        return server.port
    }

    private static func readLine(_ handle: FileHandle) -> String {
        var bytes: [UInt8] = []
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty {
                break
            }
            bytes += chunk
            if bytes.contains(UInt8(ascii: "\n")) {
                break
            }
        }
        return String(decoding: bytes.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
    }

    /// Ends the server process and waits for it.
    ///
    /// SIGKILL rather than `terminate()`: a child started from a dispatch thread inherits that thread's blocked
    /// signal mask, SIGTERM included, and the server keeps no state worth a clean shutdown (files are renamed into place).
    public func stop() {
        Self.kill(self.process)
    }

    private static func kill(_ process: Process) {
        if process.isRunning {
            _ = Glibc.kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
    }

    deinit {
        self.stop()
    }

    /// The messages the server accepted, in order.
    public func messages() throws -> [ReceivedMail] {
        try self.records(prefix: "messages-")
    }

    /// The AUTH attempts the server saw, in order.
    public func authAttempts() throws -> [AuthAttempt] {
        try self.records(prefix: "auth-")
    }

    /// The server's stderr, for failure messages.
    public func log() -> String {
        (try? String(contentsOfFile: self.logPath, encoding: .utf8)) ?? ""
    }

    private func records<Record: Decodable>(prefix: String) throws -> [Record] {
        let names = try FileManager.default.contentsOfDirectory(atPath: self.maildir)
            .filter { $0.hasPrefix(prefix) && $0.hasSuffix(".json") }
            .sorted()
        return try names.map { name in
            let data = try Data(contentsOf: URL(fileURLWithPath: self.maildir).appendingPathComponent(name))
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            return try decoder.decode(Record.self, from: data)
        }
    }
}

/// A message as the server stored it; header fields decoded by Python's `email` package.
public struct ReceivedMail: Decodable, Sendable {
    public var mailFrom: String
    public var rcptTos: [String]
    public var mailOptions: [String]
    public var dataB64: String
    public var tls: Bool
    public var subject: String?
    public var from: String?
    public var to: String?
    public var date: String?
    public var dateEpoch: Double?
    public var messageId: String?
    public var mimeVersion: String?
    public var contentType: String?
    public var defects: [String]?
    public var headerNames: [String]?
    public var text: String?
    public var html: String?
    public var parts: [String]?
    public var parseError: String?

    /// The raw DATA bytes as received (after the server removed dot-stuffing).
    public var raw: [UInt8] { Array(Data(base64Encoded: self.dataB64) ?? Data()) }
}

/// One AUTH attempt as the server's authenticator saw it.
public struct AuthAttempt: Decodable, Sendable {
    public var mechanism: String
    public var login: String?
    public var success: Bool
    public var tls: Bool
}
