import Foundation
import SNTPClient
import TestSupport
import Testing

/// A real chronyd serving NTP on a free loopback port, without touching the system clock (`-x`).
///
/// Configured as its own reference (`local stratum 8`) with no upstream servers, so it answers immediately.
public struct Chrony: Sendable {
    public static let executable = "/usr/sbin/chronyd"

    /// The UDP port chronyd serves on.
    public let port: Int
    private let process: ChildProcess

    /// chronyd's address as "127.0.0.1:port", the form configuration and `--server` take.
    public var address: String {
        "127.0.0.1:\(self.port)"
    }

    /// What chronyd printed so far, for failure messages.
    public var log: String {
        let log = self.process.log()
        return log.isEmpty ? "(no output captured)" : log
    }

    /// Starts chronyd, waits until it answers an SNTP query (at most ~20 s), runs `body`, and always stops chronyd.
    public static func withServer<Result>(_ body: (Chrony) async throws -> Result) async throws -> Result {
        // chronyd drops root privileges to _chrony after start and then removes its pid file and writes the drift
        // file, so the directory must be writable by that user too.
        try await ScratchDirectory.with("chrony", permissions: 0o777) { directory in
            // Held until chronyd answers, so that no other socket is given the port before chronyd binds it
            // (chronyd binds with SO_REUSEADDR, so it can share it meanwhile).
            let reservation = try FreePort.reserve(.udp)
            let configuration = """
                port \(reservation.port)
                bindaddress 127.0.0.1
                local stratum 8
                allow 127.0.0.1
                cmdport 0
                pidfile \(directory.path("chronyd.pid"))
                driftfile \(directory.path("drift"))

                """
            try configuration.write(toFile: directory.path("chrony.conf"), atomically: true, encoding: .utf8)
            return try await ChildProcess(
                "chronyd",
                executable: Self.executable,
                arguments: ["-x", "-d", "-f", directory.path("chrony.conf")],
                directory: directory.path,
                logPath: directory.path("stderr.log")
            ).whileRunning { process in
                let chrony = Chrony(port: reservation.port, process: process)
                try await chrony.waitUntilAnswering(reservation: reservation)
                reservation.release()
                return try await body(chrony)
            }
        }
    }

    /// Polls with short queries until chronyd answers; readiness polling, bounded to about 60 s (a
    /// hang guard: a loaded machine has taken more than 20 s).
    ///
    /// The held port is let go after the first query that gets no answer: two sockets share the
    /// port while it is held, and the kernel might hand our queries to the holder rather than to
    /// chronyd. By then chronyd has had the time to bind, so the port is not left free for long.
    private func waitUntilAnswering(reservation: PortReservation) async throws {
        let client = SNTPClient()
        let deadline = ContinuousClock.now + .seconds(60)
        var lastError: SNTPError?
        while ContinuousClock.now < deadline {
            guard process.isRunning else {
                Issue.record("chronyd exited with status \(process.exitStatus ?? -1):\n\(self.log)")
                throw CancellationError()
            }
            do {
                _ = try await client.query(host: "127.0.0.1", port: self.port, timeout: .milliseconds(300))
                return
            } catch {
                lastError = error
                reservation.release()
            }
        }
        Issue.record(
            "chronyd did not answer on port \(self.port) within 60 s (last error: \(lastError.map(String.init(describing:)) ?? "none")):\n\(self.log)"
        )
        throw CancellationError()
    }
}
