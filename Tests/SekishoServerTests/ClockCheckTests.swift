import Foundation
import Logging
import SNTPClient
import SNTPTesting
import SekishoServer
import Testing

/// The start-up clock check against a real chronyd and against a scripted NTP responder (issue 6).
@Suite struct ClockCheckTests {
    /// Our clock's reading when a scripted request is sent (T1).
    static let t1 = 1_700_000_000.0
    static let advice = "enable NTP time synchronisation (e.g. systemd-timesyncd or chrony)"

    @Test func realChronyIsWithinTheLimit() async throws {
        try await Chrony.withServer { chrony in
            let logs = LogCapture()
            let check = ClockCheck(
                settings: .init(servers: [chrony.address], timeout: 5, onFailure: .refuse),
                logger: logs.logger()
            )
            let result = await check.run()
            #expect(result.verdict == .withinLimit, "\(logs.text)\n\(chrony.log)")
            let best = try #require(result.best, "\(logs.text)\n\(chrony.log)")
            // chronyd with `-x` serves the very clock we read, over loopback: any offset is measurement noise.
            #expect(abs(best.offset) < max(0.050, best.delay / 2 + 0.005))
            #expect(best.delay > 0)
            // Not a speed limit (a loaded machine took 2.5 s once): a reply after the timeout is not taken.
            #expect(best.delay < 5)
            #expect(best.stratum == 8)
            #expect(best.server == chrony.address)
            #expect(result.failures.isEmpty)
            #expect(check.startupDecision(result) == .proceed)
            // The line's format; its numbers are noise bounded above (under load the delay, and so the offset, grow).
            let line = try #require(logs.messages(at: .info).first)
            #expect(
                line.wholeMatch(of: /clock offset [+-]\d\.\d{3} s \(server 127\.0\.0\.1:\d+, delay \d\.\d{3} s, stratum 8\): within the 3 s limit/)
                    != nil,
                "\(line)"
            )
            #expect(logs.messages(at: .warning).isEmpty, "\(logs.text)")
        }
    }

    @Test func serverAhead45SecondsIsBeyondTheLimit() async throws {
        // Exact numbers: T1 and T4 = T1 + 4 ms from a scripted clock, the server answers at T1 + 45.002 s,
        // so θ = (45.002 + 44.998)/2 = 45 s and δ = 4 ms.
        let t1 = Self.t1
        let script = FakeSNTPResponder.Script.replying { [.packet(serverReply(to: $0, receivedAt: t1 + 45.002, transmittedAt: t1 + 45.002))] }
        try await FakeSNTPResponder.withResponder(script) { responder in
            let logs = LogCapture()
            let wallClock = ManualWallClock(Date(timeIntervalSince1970: 1_800_000_000))
            let check = ClockCheck(
                settings: .init(servers: [responder.address], timeout: 10, onFailure: .refuse),
                client: SNTPClient(clock: ScriptedClock(t1, t1 + 0.004)),
                logger: logs.logger(),
                wallClock: wallClock
            )
            let result = await check.run()
            #expect(result.verdict == .beyondLimit)
            #expect(result.checkedAt == wallClock.now())
            #expect(result.maxOffset == 3)
            let best = try #require(result.best)
            #expect(abs(best.offset - 45) < 1e-6)
            #expect(abs(best.delay - 0.004) < 1e-6)
            #expect(
                logs.messages(at: .warning) == [
                    "clock offset +45.000 s (server \(responder.address), delay 0.004 s, stratum 2) exceeds the 3 s limit: "
                        + "authenticator codes will fail; enable NTP on this machine",
                    "clock offset +45.000 s is more than one TOTP period (30 s): codes will fail for most users",
                ]
            )
            #expect(!logs.text.contains("within"), "\(logs.text)")

            let refusal = StartupError(
                "refusing to start: the clock is off by +45.0 s (limit 3 s, measured against \(responder.address)); "
                    + "\(Self.advice) or set clock.on_failure: warn",
                exitCode: 3
            )
            #expect(check.startupDecision(result) == .refuse(refusal))
            var warn = check.settings
            warn.onFailure = .warn
            #expect(ClockCheck(settings: warn, logger: logs.logger()).startupDecision(result) == .proceed)
        }
    }

    @Test func runAtStartupRefusesWithExitStatus3OrWarnsAndGoesOn() async throws {
        try await FakeSNTPResponder.withResponder(.offset(45)) { responder in
            let status = ClockStatus()
            let logs = LogCapture()
            let refusing = ClockCheck(settings: .init(servers: [responder.address], timeout: 10, onFailure: .refuse), logger: logs.logger())
            let error = await #expect(throws: StartupError.self) {
                try await refusing.runAtStartup(recordingIn: status)
            }
            #expect(error?.exitCode == 3)
            // The offset is measured on the real clock: about +45 s, give or take half the round trip.
            #expect(error?.message.hasPrefix("refusing to start: the clock is off by +4") == true, "\(String(describing: error))")
            #expect(error?.message.contains(" s (limit 3 s") == true, "\(String(describing: error))")
            #expect(error?.message.contains(Self.advice) == true)
            // The refused result is still recorded, for the metrics and any later look.
            #expect(status.last?.verdict == .beyondLimit)

            let warning = ClockCheck(settings: .init(servers: [responder.address], timeout: 10, onFailure: .warn), logger: logs.logger())
            let result = try await warning.runAtStartup(recordingIn: status)
            #expect(result.verdict == .beyondLimit)
            #expect(status.last == result)
            #expect(logs.messages(at: .warning).filter { $0.contains("exceeds the 3 s limit") }.count == 2)
        }
    }

    @Test func beyondTheLimitButWithinOnePeriodDoesNotSayMostUsers() async throws {
        // θ = ((T1 − 9.998 − T1) + (T1 − 9.998 − (T1 + 0.004)))/2 = −10 s exactly.
        let t1 = Self.t1
        let script = FakeSNTPResponder.Script.replying { [.packet(serverReply(to: $0, receivedAt: t1 - 9.998, transmittedAt: t1 - 9.998))] }
        try await FakeSNTPResponder.withResponder(script) { responder in
            let logs = LogCapture()
            let check = ClockCheck(
                settings: .init(servers: [responder.address], timeout: 10),
                client: SNTPClient(clock: ScriptedClock(t1, t1 + 0.004)),
                logger: logs.logger()
            )
            let result = await check.run()
            #expect(result.verdict == .beyondLimit)
            #expect(
                logs.messages(at: .warning) == [
                    "clock offset -10.000 s (server \(responder.address), delay 0.004 s, stratum 2) exceeds the 3 s limit: "
                        + "authenticator codes will fail; enable NTP on this machine"
                ]
            )
            #expect(!logs.text.contains("most users"))
        }
    }

    @Test func noAnswerIsReportedAndNeverCalledFine() async throws {
        try await FakeSNTPResponder.withResponder(.silent) { silent in
            let logs = LogCapture()
            let settings = ClockCheckSettings(servers: ["ntp example", silent.address], timeout: 0.2, onFailure: .refuse)
            let check = ClockCheck(settings: settings, logger: logs.logger())
            let result = await check.run()
            #expect(result.verdict == .noAnswer)
            #expect(result.best == nil)
            #expect(result.offset == nil)
            let invalid = "not a valid NTP server address (expected host, host:port or [IPv6]:port)"
            let timeout = "no reply from the NTP server before the timeout"
            #expect(result.failures == [.init(server: "ntp example", reason: invalid), .init(server: silent.address, reason: timeout)])
            #expect(
                logs.messages(at: .warning) == ["clock offset could not be determined: ntp example: \(invalid); \(silent.address): \(timeout)"]
            )
            #expect(logs.text.contains("could not be determined"))
            #expect(!logs.text.contains("within"), "\(logs.text)")
            #expect(!logs.text.contains("in sync"), "\(logs.text)")
            #expect(silent.requests.count == 1)

            // Refuse means refuse: no answer at all stops start-up too, and the message names the way out for
            // machines without NTP (issue 18, item 11).
            let refusal = StartupError(
                "refusing to start: the clock offset could not be determined (ntp example: \(invalid); \(silent.address): \(timeout)); "
                    + "make sure a server in clock.servers is reachable and \(Self.advice), or set clock.on_failure: warn; "
                    + "a machine that can reach no NTP server (air-gapped) starts without the check with clock.check: false",
                exitCode: 3
            )
            #expect(check.startupDecision(result) == .refuse(refusal))
            var warn = settings
            warn.onFailure = .warn
            #expect(ClockCheck(settings: warn, logger: logs.logger()).startupDecision(result) == .proceed)
        }
    }

    @Test func kissOfDeathAndWrongOriginAreReportedPerServer() async throws {
        let kiss = FakeSNTPResponder.Script.replying { request in
            var reply = serverReply(to: request, receivedAt: 0, transmittedAt: 0, stratum: 0)
            reply.leapIndicator = 3
            reply.referenceID = 0x5241_5445  // "RATE"
            return [.packet(reply)]
        }
        let forged = FakeSNTPResponder.Script.replying { request in
            let now = SystemSNTPClock().now()
            var reply = serverReply(to: request, receivedAt: now, transmittedAt: now)
            reply.originTimestamp = NTPTimestamp(rawValue: request.transmitTimestamp.rawValue ^ 1)
            return [.packet(reply)]
        }
        try await FakeSNTPResponder.withResponder(kiss) { kissing in
            try await FakeSNTPResponder.withResponder(forged) { forging in
                try await FakeSNTPResponder.withResponder(.offset(0.5)) { good in
                    let logs = LogCapture()
                    // The good server's reply must arrive: room for a loaded two-core machine.
                    let settings = ClockCheckSettings(servers: [kissing.address, forging.address, good.address], timeout: 10)
                    let result = await ClockCheck(settings: settings, logger: logs.logger()).run()
                    #expect(result.verdict == .withinLimit, "\(logs.text)")
                    let best = try #require(result.best)
                    #expect(best.server == good.address)
                    // Real clock on both ends: the error is bounded by half the round trip.
                    #expect(abs(best.offset - 0.5) < max(0.05, best.delay / 2 + 0.005))
                    let kissReason = "the NTP server refused the request (kiss-o'-death RATE)"
                    let originReason = "the NTP server's reply did not match our request (origin timestamp mismatch)"
                    #expect(
                        result.failures == [.init(server: kissing.address, reason: kissReason), .init(server: forging.address, reason: originReason)]
                    )
                    let info = logs.messages(at: .info)
                    #expect(info.count == 3, "\(logs.text)")
                    #expect(info.first?.hasSuffix("within the 3 s limit") == true)
                    #expect(
                        info.dropFirst().sorted()
                            == [
                                "no usable answer from NTP server \(forging.address): \(originReason)",
                                "no usable answer from NTP server \(kissing.address): \(kissReason)",
                            ].sorted()
                    )
                    #expect(logs.messages(at: .warning).isEmpty)
                }
            }
        }
    }

    @Test func invalidServerStringsAreFailuresNotCrashes() async throws {
        let texts = ["", "host:notaport", "[::1", "pool.ntp.org:0", "a b"]
        let logs = LogCapture()
        let result = await ClockCheck(settings: .init(servers: texts), logger: logs.logger()).run()
        #expect(result.verdict == .noAnswer)
        #expect(result.failures.map(\.server) == texts)
        #expect(result.failures.allSatisfy { $0.reason.hasPrefix("not a valid NTP server address") })
        #expect(logs.messages(at: .warning).count == 1)
        for text in texts {
            #expect(!ClockCheckSettings.isValidServer(text), "\(text)")
        }
        #expect(ClockCheckSettings.isValidServer("[::1]:123"))
        #expect(ClockCheckSettings.isValidServer("pool.ntp.org"))

        let none = await ClockCheck(settings: .init(servers: []), logger: logs.logger()).run()
        #expect(none.verdict == .noAnswer)
        #expect(none.summary == "clock offset could not be determined: no NTP servers are configured (clock.servers)")
    }

    @Test func verdictAndTOTPWarningAtTheBoundaries() {
        func result(offset: Double) -> ClockCheckResult {
            let measurement = SNTPMeasurement(server: "ntp", offset: offset, delay: 0.01, stratum: 2, referenceID: "x", serverTime: 0)
            return ClockCheckResult(checkedAt: Date(timeIntervalSince1970: 0), best: measurement, failures: [], maxOffset: 3)
        }
        #expect(result(offset: 3).verdict == .withinLimit)
        #expect(result(offset: -3).verdict == .withinLimit)
        #expect(result(offset: 3.001).verdict == .beyondLimit)
        #expect(result(offset: -3.5).verdict == .beyondLimit)
        #expect(result(offset: .nan).verdict == .beyondLimit)
        #expect(result(offset: 30).totpWarning(period: 30) == nil)
        #expect(
            result(offset: -30.5).totpWarning(period: 30)
                == "clock offset -30.500 s is more than one TOTP period (30 s): codes will fail for most users"
        )
        #expect(result(offset: 0.0124).summary == "clock offset +0.012 s (server ntp, delay 0.010 s, stratum 2): within the 3 s limit")
    }

    @Test func settingsComeFromTheClockConfiguration() async throws {
        let configuration = try await ConfigurationLoader(
            filePath: nil,
            environment: [:],
            overrides: [
                "clock.servers": "ntp1.example.com,127.0.0.1:1123",
                "clock.max_offset": "1.5",
                "clock.timeout": "0.5",
                "clock.on_failure": "refuse",
                // Obsolete, still accepted.
                "clock.require_answer": "true",
                "clock.interval": "600",
            ]
        ).load()
        #expect(
            ClockCheckSettings(configuration.clock)
                == ClockCheckSettings(
                    servers: ["ntp1.example.com", "127.0.0.1:1123"],
                    maxOffset: 1.5,
                    timeout: 0.5,
                    onFailure: .refuse,
                    interval: 600,
                    totpPeriod: 30
                )
        )
        let defaults = ClockCheckSettings(try await ConfigurationLoader(filePath: nil, environment: [:]).load().clock, totpPeriod: 60)
        #expect(defaults == ClockCheckSettings(totpPeriod: 60))
        #expect(defaults.servers == ["pool.ntp.org"])
    }
}
