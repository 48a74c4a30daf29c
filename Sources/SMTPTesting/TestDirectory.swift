import Foundation

/// A temporary directory removed by ``remove()``; every test makes its own.
public struct TestDirectory: Sendable {
    public let url: URL

    public init() throws {
        self.url = FileManager.default.temporaryDirectory.appendingPathComponent("smtp-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: self.url, withIntermediateDirectories: true)
    }

    public func path(_ name: String) -> String {
        self.url.appendingPathComponent(name).path
    }

    public func remove() {
        try? FileManager.default.removeItem(at: self.url)
    }

    /// A self-signed certificate (for `localhost` and 127.0.0.1 by default), made with openssl; returns (certificate, key) paths.
    public func makeCertificate(
        name: String = "server",
        subjectAltName: String = "DNS:localhost,IP:127.0.0.1"
    ) throws -> (certificate: String, key: String) {
        let certificate = self.path("\(name)-cert.pem")
        let key = self.path("\(name)-key.pem")
        try runTool(
            "/usr/bin/openssl",
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=\(subjectAltName)", "-days", "1", "-keyout", key, "-out", certificate,
            ]
        )
        return (certificate, key)
    }
}

public struct TestToolError: Error, CustomStringConvertible {
    public var description: String
    public init(description: String) { self.description = description }
}

/// Runs a tool to completion; fails the test with a clear message when the tool is missing or fails.
public func runTool(_ executable: String, _ arguments: [String]) throws {
    guard FileManager.default.isExecutableFile(atPath: executable) else {
        throw TestToolError(description: "\(executable) is missing; install it (Debian package) to run these tests")
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    let output = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw TestToolError(description: "\(executable) failed: \(String(decoding: output, as: UTF8.self))")
    }
}
