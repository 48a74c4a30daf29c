import Logging
import MetricsTestKit
import SNTPClient
import SNTPTesting
import SekishoServer
import ServiceLifecycle
import Synchronization
import Testing

/// The hourly re-check: transition-only warnings, the shared status, the gauges, the interval and shutdown.
@Suite struct ClockCheckServiceTests {
    @Test func warnsWhenCrossingTheLimitOnceAndSaysWhenBack() async throws {
        let server = AdjustableServer()
        try await FakeSNTPResponder.withResponder(server.script) { responder in
            let logs = LogCapture()
            let metrics = TestMetrics()
            let status = ClockStatus(metricsFactory: metrics)
            let check = ClockCheck(settings: .init(servers: [responder.address], timeout: 10), logger: logs.logger())
            try await check.runAtStartup(recordingIn: status)
            #expect(status.last?.verdict == .withinLimit)
            #expect(logs.messages(at: .info).count == 1)
            #expect(try metrics.expectGauge(ClockStatus.successGaugeLabel).lastValue == 1)
            let service = ClockCheckService(check: check, status: status)

            // Still fine: nothing above debug.
            let steady = await service.runOnce()
            #expect(steady.verdict == .withinLimit)
            #expect(status.last == steady)
            #expect(logs.messages(at: .info).count == 1, "\(logs.text)")
            #expect(logs.messages(at: .debug).contains(steady.summary))

            // Crossing the limit: the warning, and the TOTP one since 45 s is more than a period.
            server.skew = 45
            let beyond = await service.runOnce()
            #expect(beyond.verdict == .beyondLimit)
            #expect(status.last == beyond)
            let warnings = logs.messages(at: .warning)
            #expect(warnings.count == 2, "\(logs.text)")
            #expect(warnings.first == beyond.summary)
            #expect(warnings.first?.contains("exceeds the 3 s limit: authenticator codes will fail; enable NTP on this machine") == true)
            #expect(warnings.last?.hasSuffix("codes will fail for most users") == true)
            #expect(
                abs((try metrics.expectGauge(ClockStatus.offsetGaugeLabel).lastValue ?? 0) - 45) < max(0.05, (beyond.best?.delay ?? 0) / 2 + 0.005)
            )

            // Still beyond an interval later: no second warning.
            await service.runOnce()
            #expect(logs.messages(at: .warning).count == 2, "\(logs.text)")

            // Back within: one info line that says so.
            server.skew = 0.2
            let back = await service.runOnce()
            #expect(back.verdict == .withinLimit)
            #expect(logs.messages(at: .info).last == "clock back within the limit: \(back.summary)")
            #expect(
                abs((try metrics.expectGauge(ClockStatus.offsetGaugeLabel).lastValue ?? 0) - 0.2) < max(0.05, (back.best?.delay ?? 0) / 2 + 0.005)
            )

            // Answers stop: a warning, the offset gauge becomes NaN and the success gauge 0.
            server.skew = nil
            let silent = await service.runOnce()
            #expect(silent.verdict == .noAnswer)
            #expect(status.last == silent)
            #expect(logs.messages(at: .warning).last?.hasPrefix("clock offset could not be determined: \(responder.address): ") == true)
            #expect(try metrics.expectGauge(ClockStatus.offsetGaugeLabel).lastValue?.isNaN == true)
            #expect(try metrics.expectGauge(ClockStatus.successGaugeLabel).lastValue == 0)
            #expect(!logs.messages(at: .info).contains { $0.contains("could not be determined") })
        }
    }

    @Test(.timeLimit(.minutes(1))) func rechecksEveryIntervalAndStopsOnGracefulShutdown() async throws {
        let server = AdjustableServer()
        try await FakeSNTPResponder.withResponder(server.script) { responder in
            let logs = LogCapture()
            let status = ClockStatus(metricsFactory: TestMetrics())
            // A generous timeout: the warnings counted below must not include a slow answer under load.
            let check = ClockCheck(settings: .init(servers: [responder.address], timeout: 30, interval: 600), logger: logs.logger())
            try await check.runAtStartup(recordingIn: status)
            let startup = try #require(status.last)
            let clock = ManualSleepClock()
            let group = ServiceGroup(
                services: [ClockCheckService(check: check, status: status, clock: clock)],
                logger: Logger(label: "group") { _ in SwiftLogNoOpLogHandler() }
            )
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                await clock.sleepCalls(reaching: 1)
                // One second short of the interval: still asleep, no query beyond the start-up one.
                clock.advance(by: .seconds(599))
                #expect(clock.sleeperCount == 1)
                #expect(responder.requests.count == 1)
                #expect(status.last == startup)

                server.skew = 45
                clock.advance(by: .seconds(1))
                // The next sleep call means the re-check has finished and been recorded.
                await clock.sleepCalls(reaching: 2)
                #expect(responder.requests.count == 2)
                #expect(status.last?.verdict == .beyondLimit)
                #expect(logs.messages(at: .warning).count == 2, "\(logs.text)")

                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
            #expect(responder.requests.count == 2)
        }
    }

    @Test(.timeLimit(.minutes(1))) func cancellationEndsTheLoopQuietly() async throws {
        let logs = LogCapture()
        let clock = ManualSleepClock()
        let status = ClockStatus(metricsFactory: TestMetrics())
        let service = ClockCheckService(
            check: ClockCheck(settings: .init(servers: ["127.0.0.1:9"]), logger: logs.logger()),
            status: status,
            clock: clock
        )
        let task = Task { try await service.run() }
        await clock.sleepCalls(reaching: 1)
        task.cancel()
        try await task.value
        #expect(status.last == nil)
        #expect(logs.all.isEmpty, "\(logs.text)")
    }
}

/// A fake NTP server whose clock runs `skew` seconds ahead of ours; `nil` makes it stop answering.
private final class AdjustableServer: Sendable {
    private let state = Mutex<Double?>(0)

    var skew: Double? {
        get { self.state.withLock { $0 } }
        set { self.state.withLock { $0 = newValue } }
    }

    var script: FakeSNTPResponder.Script {
        .replying { [self] request in
            guard let skew = self.skew else { return [] }
            let now = SystemSNTPClock().now() + skew
            return [.packet(serverReply(to: request, receivedAt: now, transmittedAt: now))]
        }
    }
}
