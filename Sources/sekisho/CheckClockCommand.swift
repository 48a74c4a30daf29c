import ArgumentParser
import Logging
import SekishoServer

/// `sekisho check-clock`: measures the clock against NTP once and says what it found (issue 6, item 4).
///
/// Exit status 0: within `clock.max_offset`; 1: beyond it; 2: no server gave a usable answer. It runs whatever
/// `clock.check` says, since the operator asked for it.
struct CheckClockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-clock",
        abstract: "Compare this machine's clock with NTP servers.",
        discussion: "Exits 0 when the offset is within clock.max_offset, 1 when it is beyond, 2 when no server answered."
    )

    @OptionGroup var options: ConfigOptions

    @Option(name: .customLong("server"), help: ArgumentHelp("NTP server to ask instead of clock.servers (repeatable).", valueName: "host[:port]"))
    var servers: [String] = []

    func validate() throws {
        for server in servers where !ClockCheckSettings.isValidServer(server) {
            throw ValidationError("--server expects host, host:port or [IPv6]:port, got '\(server)'")
        }
    }

    func run() async throws {
        try await Fatal.exit {
            let configuration = try await options.load()
            var settings = ClockCheckSettings(configuration.clock, totpPeriod: Double(configuration.totp.period))
            if !servers.isEmpty {
                settings.servers = servers
            }
            // The console report below says everything; log lines would repeat it.
            let check = ClockCheck(settings: settings, logger: Logger(label: "sekisho.clock") { _ in SwiftLogNoOpLogHandler() })
            let result = await check.measure()
            print(Self.report(result, settings: settings), terminator: "")
            switch result.verdict {
            case .withinLimit: return
            case .beyondLimit: throw ExitCode(1)
            case .noAnswer: throw ExitCode(2)
            }
        }
    }

    /// What the operator reads: the verdict line, the TOTP warning if any, and every server without an answer.
    static func report(_ result: ClockCheckResult, settings: ClockCheckSettings) -> String {
        var lines: [String] = []
        if result.verdict == .noAnswer {
            lines.append("clock offset could not be determined" + (result.failures.isEmpty ? ": no NTP servers given" : ":"))
        } else {
            lines.append(result.summary)
            if let warning = result.totpWarning(period: settings.totpPeriod) {
                lines.append(warning)
            }
            if !result.failures.isEmpty {
                lines.append("servers without a usable answer:")
            }
        }
        lines += result.failures.map { "  \($0.server): \($0.reason)" }
        return lines.joined(separator: "\n") + "\n"
    }
}
