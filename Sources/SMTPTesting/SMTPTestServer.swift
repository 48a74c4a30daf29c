/// Test support for SMTP: an aiosmtpd server run by Debian's python, shared by the test targets.
import Foundation
import TestSupport

/// A running aiosmtpd test server (see ``SMTPTestServerScript``) on a free loopback port.
public final class SMTPTestServer: Sendable {
    /// Debian's python, which has python3-aiosmtpd; the `python3` on PATH may not.
    public static let python = "/usr/bin/python3"

    public let port: Int
    public let maildir: String
    private let process: ChildProcess

    private init(process: ChildProcess, port: Int, maildir: String) {
        self.process = process
        self.port = port
        self.maildir = maildir
    }

    /// Starts the script with `arguments` and waits (at most 20 s) for it to print its port.
    public static func start(_ arguments: [String], in directory: ScratchDirectory) async throws -> SMTPTestServer {
        let script = directory.path("smtp_test_server.py")
        try SMTPTestServerScript.source.write(toFile: script, atomically: true, encoding: .utf8)
        let maildir = directory.path("maildir")
        try FileManager.default.createDirectory(atPath: maildir, withIntermediateDirectories: true)
        let process = try ChildProcess(
            "aiosmtpd",
            executable: self.python,
            arguments: [script, "--maildir", maildir] + arguments,
            directory: directory.path,
            logPath: directory.path("server.log"),
            captureOutput: true
        )
        let line = await process.firstLine()
        guard line.hasPrefix("PORT "), let port = Int(line.dropFirst(5)) else {
            process.kill()
            throw TestSupportError("SMTP test server did not start (is python3-aiosmtpd installed?): \(line)\n\(process.log())")
        }
        return SMTPTestServer(process: process, port: port, maildir: maildir)
    }

    /// Runs `body` with a server started as ``start(_:in:)`` does (in a folder of its own unless
    /// `directory` is given), and stops it afterwards, whatever happens.
    public static func with<Result>(
        _ arguments: [String] = [],
        in directory: ScratchDirectory? = nil,
        _ body: (SMTPTestServer) async throws -> Result
    ) async throws -> Result {
        guard let directory else {
            return try await ScratchDirectory.with("smtp") { try await self.with(arguments, in: $0, body) }
        }
        return try await withCleanup(try await self.start(arguments, in: directory), cleanup: { $0.stop() }, body)
    }

    /// Ends the server process and waits for it; the server keeps no state worth a clean shutdown
    /// (files are renamed into place).
    public func stop() {
        self.process.kill()
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
        self.process.log()
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
