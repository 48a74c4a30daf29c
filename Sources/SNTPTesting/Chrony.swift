import Foundation
import NIOCore
import NIOPosix
import SNTPClient
import Testing

/// A real chronyd serving NTP on a free loopback port, without touching the system clock (`-x`).
///
/// Configured as its own reference (`local stratum 8`) with no upstream servers, so it answers immediately.
public struct Chrony: Sendable {
    public static let executable = "/usr/sbin/chronyd"

    /// The UDP port chronyd serves on.
    public let port: Int
    private let stderrPath: String

    /// chronyd's address as "127.0.0.1:port", the form configuration and `--server` take.
    public var address: String {
        "127.0.0.1:\(self.port)"
    }

    /// What chronyd printed so far, for failure messages.
    public var log: String {
        (try? String(contentsOfFile: self.stderrPath, encoding: .utf8)) ?? "(no output captured)"
    }

    /// Starts chronyd, waits until it answers an SNTP query (at most ~5 s), runs `body`, and always stops chronyd.
    public static func withServer<Result>(_ body: (Chrony) async throws -> Result) async throws -> Result {
        try #require(
            FileManager.default.isExecutableFile(atPath: Self.executable),
            "chronyd not found at \(Self.executable): install Debian's chrony package (CI does)"
        )
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sntp-chrony-\(UUID().uuidString)")
        // chronyd drops root privileges to _chrony after start and then removes its pid file and writes the drift
        // file, so the directory must be writable by that user too.
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o777])
        defer { try? FileManager.default.removeItem(at: directory) }

        let port = try await Self.freeUDPPort()
        let configuration = """
            port \(port)
            bindaddress 127.0.0.1
            local stratum 8
            allow 127.0.0.1
            cmdport 0
            pidfile \(directory.path)/chronyd.pid
            driftfile \(directory.path)/drift

            """
        let configurationPath = directory.appendingPathComponent("chrony.conf").path
        try configuration.write(toFile: configurationPath, atomically: true, encoding: .utf8)
        let stderrPath = directory.appendingPathComponent("stderr.log").path
        try #require(FileManager.default.createFile(atPath: stderrPath, contents: nil), "cannot create \(stderrPath)")
        let stderr = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        defer { try? stderr.close() }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = ["-x", "-d", "-f", configurationPath]
        // A file rather than a pipe: nobody reads while the test runs, and a full pipe would block chronyd.
        process.standardOutput = stderr
        process.standardError = stderr
        try process.run()
        defer {
            // SIGKILL, not terminate()'s SIGTERM: the child inherits the spawning thread's signal mask, in which the
            // test runner's threads block SIGTERM, and chronyd never unblocks it, so SIGTERM would leave it running.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }

        let chrony = Chrony(port: port, stderrPath: stderrPath)
        try await chrony.waitUntilAnswering(process: process)
        return try await body(chrony)
    }

    /// Polls with short queries until chronyd answers; readiness polling, bounded to about 5 s.
    private func waitUntilAnswering(process: Process) async throws {
        let client = SNTPClient()
        let deadline = ContinuousClock.now + .seconds(20)
        var lastError: SNTPError?
        while ContinuousClock.now < deadline {
            guard process.isRunning else {
                Issue.record("chronyd exited with status \(process.terminationStatus):\n\(self.log)")
                throw CancellationError()
            }
            do {
                _ = try await client.query(host: "127.0.0.1", port: self.port, timeout: .milliseconds(300))
                return
            } catch {
                lastError = error
            }
        }
        Issue.record(
            "chronyd did not answer on port \(self.port) within 20 s (last error: \(lastError.map(String.init(describing:)) ?? "none")):\n\(self.log)"
        )
        throw CancellationError()
    }

    /// A UDP port that was free a moment ago: bind to port 0, read the port the kernel chose, close.
    private static func freeUDPPort() async throws -> Int {
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(channel.localAddress?.port)
        try await channel.close()
        return port
    }
}
