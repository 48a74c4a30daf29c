// NEEDS THE LEAD'S WIRING: these tests run the real `<repo>/.build/debug/sekisho` binary (built by
// `swift build --build-tests` / `make test`). The `check-clock` tests need `CheckClockCommand.self` in the
// subcommands of Sources/sekisho/Sekisho.swift; the `serve` tests need ClockCheck.runAtStartup in `sekisho serve`
// (before the server accepts requests, errors through Fatal.exit so that StartupError's exit code 3 is used).
import Foundation
import NIOCore
import NIOPosix
import SNTPTesting
import TestSupport
import Testing

/// The clock check through the real binary: `check-clock` exit codes, and `serve` refusing (exit 3) or warning.
@Suite(.serialized) struct ClockStartupTests {
    @Test func checkClockExitsZeroAgainstChrony() async throws {
        try await Chrony.withServer { chrony in
            let run = try await SekishoRun.start(["check-clock", "--server", chrony.address]).finish(within: .seconds(20))
            #expect(run.status == 0, "\(run)")
            #expect(run.standardOutput.contains("(server \(chrony.address), delay "), "\(run)")
            #expect(run.standardOutput.contains("stratum 8): within the 3 s limit"), "\(run)")
        }
    }

    @Test func checkClockExitsOneWhenBeyondTheLimit() async throws {
        try await FakeSNTPResponder.withResponder(.offset(45)) { responder in
            // The configured server is unusable on purpose: --server replaces the list.
            let run = try await SekishoRun.start([
                "check-clock", "--set", "clock.servers=ntp.invalid", "--set", "clock.timeout=10", "--server", responder.address,
            ])
            .finish(within: .seconds(20))
            #expect(run.status == 1, "\(run)")
            #expect(run.standardOutput.contains("exceeds the 3 s limit: authenticator codes will fail; enable NTP on this machine"), "\(run)")
            #expect(run.standardOutput.contains("codes will fail for most users"), "\(run)")
            #expect(!run.standardOutput.contains("ntp.invalid"), "\(run)")
        }
    }

    @Test func checkClockExitsTwoWithoutAnAnswer() async throws {
        try await FakeSNTPResponder.withResponder(.silent) { silent in
            let run = try await SekishoRun.start(["check-clock", "--set", "clock.timeout=0.2", "--server", silent.address])
                .finish(within: .seconds(20))
            #expect(run.status == 2, "\(run)")
            #expect(
                run.standardOutput == "clock offset could not be determined:\n  \(silent.address): no reply from the NTP server before the timeout\n"
            )
        }
    }

    @Test func checkClockRejectsAnInvalidServer() async throws {
        let run = try await SekishoRun.start(["check-clock", "--server", "host:notaport"]).finish(within: .seconds(20))
        #expect(run.status == 64, "\(run)")  // ArgumentParser's usage error
        #expect(run.standardError.contains("--server expects host, host:port or [IPv6]:port, got 'host:notaport'"), "\(run)")
    }

    @Test func serveRefusesToStartWithExitStatus3WhenTheClockIsOff() async throws {
        try await FakeSNTPResponder.withResponder(.offset(45)) { responder in
            try await FreePort.withUnused { port in
                let run = try await SekishoRun.start(SekishoRun.serve(port: port, ntp: responder.address, onFailure: "refuse"))
                    .finish(within: .seconds(30))
                #expect(run.status == 3, "\(run)")
                // Measured on the real clock: about +45 s, give or take half the round trip.
                #expect(run.standardError.contains("refusing to start: the clock is off by +4"), "\(run)")
                #expect(run.standardError.contains(" s (limit 3 s"), "\(run)")
                #expect(run.standardError.contains("enable NTP time synchronisation (e.g. systemd-timesyncd or chrony)"), "\(run)")
                #expect(responder.requests.count == 1)
                // The check runs before the first-administrator link is made: a refused start prints none.
                #expect(!run.standardOutput.contains("/setup/"), "\(run)")
                #expect(!run.standardOutput.contains("No users yet"), "\(run)")
            }
        }
    }

    /// `refuse` with no answer at all refuses too, before any setup link, and names `clock.check: false` (issue 18, item 11).
    @Test func serveRefusesWithExitStatus3WhenNoServerAnswers() async throws {
        try await FakeSNTPResponder.withResponder(.silent) { silent in
            try await FreePort.withUnused { port in
                var arguments = SekishoRun.serve(port: port, ntp: silent.address, onFailure: "refuse")
                arguments += ["--set", "clock.timeout=0.2"]
                let run = try await SekishoRun.start(arguments).finish(within: .seconds(30))
                #expect(run.status == 3, "\(run)")
                #expect(run.standardError.contains("refusing to start: the clock offset could not be determined"), "\(run)")
                #expect(run.standardError.contains("starts without the check with clock.check: false"), "\(run)")
                #expect(!run.standardOutput.contains("/setup/"), "\(run)")
                #expect(!run.standardOutput.contains("No users yet"), "\(run)")
            }
        }
    }

    @Test func serveWarnsAndServesWhenConfiguredToWarn() async throws {
        try await FakeSNTPResponder.withResponder(.offset(45)) { responder in
            // Held while sekisho starts; it binds with SO_REUSEADDR, so it can share the port.
            try await FreePort.withUnused { port in
                try await SekishoRun.with(SekishoRun.serve(port: port, ntp: responder.address, onFailure: "warn")) { server in
                    let status = try await waitForHealthz(port: port, while: server)
                    let output = server.output()
                    #expect(status == 200, "\(output)")
                    #expect(
                        output.standardOutput.contains("exceeds the 3 s limit: authenticator codes will fail; enable NTP on this machine"),
                        "\(output)"
                    )
                    #expect(output.standardOutput.contains("codes will fail for most users"), "\(output)")
                    #expect(responder.requests.count == 1)
                }
            }
        }
    }

    /// Polls `GET /healthz` until it answers (readiness polling, bounded to ~20 s) and returns the HTTP status.
    private func waitForHealthz(port: Int, while server: SekishoRun) async throws -> Int {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            guard server.isRunning else {
                Issue.record("sekisho exited before serving: \(server.output())")
                throw CancellationError()
            }
            if let status = try? await httpStatus(port: port, path: "/healthz") {
                return status
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("sekisho did not answer /healthz on port \(port) within 20 s: \(server.output())")
        throw CancellationError()
    }
}

/// One run of the `sekisho` binary with its output captured in files (a full pipe would block it).
private final class SekishoRun: Sendable {
    /// The finished run.
    struct Output: CustomStringConvertible {
        var status: Int32?
        var standardOutput: String
        var standardError: String

        var description: String {
            "exit status \(self.status.map(String.init) ?? "none")\nstdout:\n\(self.standardOutput)\nstderr:\n\(self.standardError)"
        }
    }

    private let process: ChildProcess
    private let directory: ScratchDirectory

    private init(process: ChildProcess, directory: ScratchDirectory) {
        self.process = process
        self.directory = directory
    }

    /// `<repo>/.build/debug/sekisho`, which `swift build --build-tests` leaves there.
    static var executable: String { repositoryRoot() + "/.build/debug/sekisho" }

    /// Arguments for `sekisho serve` on `port` with a data directory in the run's folder and `ntp` as the only NTP server.
    static func serve(port: Int, ntp: String, onFailure: String) -> [String] {
        [
            "serve", "--host", "127.0.0.1", "--port", "\(port)", "--data-dir", "data",
            "--set", "server.public_directory=\(repositoryRoot())/Public",
            "--set", "clock.check=true", "--set", "clock.servers=\(ntp)", "--set", "clock.on_failure=\(onFailure)",
            "--set", "clock.timeout=10",
        ]
    }

    /// Starts the binary in an empty working directory (so no Config/sekisho.yaml is read) without SEKISHO_ variables.
    static func start(_ arguments: [String]) throws -> SekishoRun {
        try #require(FileManager.default.isExecutableFile(atPath: Self.executable), "\(Self.executable) not found: run `swift build` first")
        let directory = try ScratchDirectory("run")
        let process = try ChildProcess(
            "sekisho",
            executable: Self.executable,
            arguments: arguments,
            directory: directory.path,
            logPath: directory.path("stderr"),
            outputPath: directory.path("stdout")
        )
        return SekishoRun(process: process, directory: directory)
    }

    /// Runs `body` with a started run and ends it afterwards, whatever happens.
    static func with<Result>(_ arguments: [String], _ body: (SekishoRun) async throws -> Result) async throws -> Result {
        try await withCleanup(try start(arguments), cleanup: { $0.kill() }, body)
    }

    var isRunning: Bool { self.process.isRunning }

    /// What it printed so far, and its exit status if it has exited.
    func output() -> Output {
        let read = { (name: String) in (try? String(contentsOfFile: self.directory.path(name), encoding: .utf8)) ?? "" }
        return Output(status: self.process.exitStatus, standardOutput: read("stdout"), standardError: read("stderr"))
    }

    /// Waits (at most `limit`) for the process to exit by itself, killing it if it does not.
    func finish(within limit: Duration) async throws -> Output {
        if await self.process.waitForExit(timeout: limit) == nil {
            Issue.record("sekisho did not exit within \(limit): \(self.output())")
        }
        let output = self.output()
        self.kill()
        return output
    }

    /// Stops the process if it still runs and removes its folder.
    func kill() {
        self.process.kill()
        self.directory.remove()
    }
}

/// The status code of `GET path` over plain HTTP/1.1 on loopback.
private func httpStatus(port: Int, path: String) async throws -> Int {
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: port) { channel in
        channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
    }
    return try await channel.executeThenClose { inbound, outbound in
        try await outbound.write(ByteBuffer(string: "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n"))
        var response = ""
        for try await chunk in inbound {
            response += String(buffer: chunk)
            if response.contains("\r\n") { break }
        }
        // "HTTP/1.1 200 OK"
        let fields = response.prefix { $0 != "\r" }.split(separator: " ")
        guard fields.count >= 2, let status = Int(fields[1]) else { throw CancellationError() }
        return status
    }
}
