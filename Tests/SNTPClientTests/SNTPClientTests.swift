import NIOCore
import NIOPosix
import SNTPClient
import SNTPTesting
import Testing

/// The client against a scripted responder, with an injected local clock and nonce so every number is exact.
@Suite struct SNTPClientTests {
    /// Our clock's reading when the request is sent (T1), 2023-11-14 22:13:20 UTC.
    static let t1 = 1_700_000_000.0
    static let nonce: UInt64 = 0x0123_4567_89AB_CDEF

    static func client(clock: any SNTPLocalClock) -> SNTPClient {
        SNTPClient(clock: clock, transmitRandom: { Self.nonce })
    }

    @Test func serverAhead45SecondsGivesOffsetPlus45() async throws {
        // Our clock: T1 at send, T4 = T1 + 20 ms at receipt. Server: receives 45.005 s after our T1, answers 10 ms later.
        let clock = ScriptedClock(Self.t1, Self.t1 + 0.020)
        let t2 = Self.t1 + 45.005
        let t3 = t2 + 0.010
        try await FakeSNTPResponder.withResponder(.replying { [.packet(serverReply(to: $0, receivedAt: t2, transmittedAt: t3))] }) {
            responder in
            let measurement = try await Self.client(clock: clock).query(host: "127.0.0.1", port: responder.port, timeout: .seconds(30))
            // θ = ((T2−T1)+(T3−T4))/2 = (45.005 + 44.995)/2; δ = (T4−T1)−(T3−T2) = 0.020 − 0.010.
            #expect(abs(measurement.offset - 45) < 0.01)
            #expect(abs(measurement.offset - 45) < 1e-6)
            #expect(abs(measurement.delay - 0.010) < 1e-6)
            #expect(measurement.stratum == 2)
            #expect(measurement.referenceID == "192.0.2.1")
            #expect(abs(measurement.serverTime - t3) < 1e-6)
            #expect(measurement.server == "127.0.0.1:\(responder.port)")

            // The request hides our time: its transmit field is the nonce, not T1, and everything else is zero.
            let request = try #require(responder.requests.first)
            #expect(responder.requests.count == 1)
            #expect(request == SNTPPacket(leapIndicator: 0, version: 4, mode: 3, transmitTimestamp: NTPTimestamp(rawValue: Self.nonce)))
            #expect(request.transmitTimestamp != NTPTimestamp(unixSeconds: Self.t1))
        }
    }

    @Test func serverBehindGivesNegativeOffset() async throws {
        let clock = ScriptedClock(Self.t1, Self.t1 + 0.100)
        let t2 = Self.t1 - 3.0 + 0.040
        try await FakeSNTPResponder.withResponder(.replying { [.packet(serverReply(to: $0, receivedAt: t2, transmittedAt: t2 + 0.020))] }) {
            responder in
            let measurement = try await Self.client(clock: clock).query(host: "127.0.0.1", port: responder.port, timeout: .seconds(30))
            // θ = ((−2.96) + (−2.96 + 0.02 − 0.1))/2 = −3.0; δ = 0.1 − 0.02.
            #expect(abs(measurement.offset - -3.0) < 1e-6)
            #expect(abs(measurement.delay - 0.080) < 1e-6)
        }
    }

    @Test func exchangeAcrossThe2036EraRolloverGivesTheRightOffset() async throws {
        // 2036-02-07 06:28:16 UTC is where the NTP seconds field wraps to 0. Our clock is just before it,
        // the server 10 s ahead and therefore already in era 1.
        let rollover = 2_085_978_496.0
        let t1 = rollover - 4.5
        let clock = ScriptedClock(t1, t1 + 0.002)
        let t2 = t1 + 10.001
        try await FakeSNTPResponder.withResponder(.replying { [.packet(serverReply(to: $0, receivedAt: t2, transmittedAt: t2))] }) {
            responder in
            let reply = serverReply(to: SNTPPacket(mode: 3), receivedAt: t2, transmittedAt: t2)
            #expect(reply.receiveTimestamp.seconds == 5)  // wrapped: a naive comparison would put the server in 1900
            let measurement = try await Self.client(clock: clock).query(host: "127.0.0.1", port: responder.port, timeout: .seconds(30))
            #expect(abs(measurement.offset - 10.0) < 1e-5)
            #expect(abs(measurement.delay - 0.002) < 1e-5)
            #expect(abs(measurement.serverTime - t2) < 1e-5)
        }
    }

    @Test func wrongOriginIsSkippedAndReportedWhenNothingElseArrives() async throws {
        // Our choice: a reply with the wrong origin may be stale or forged, so the client keeps waiting for the real
        // one; at the timeout it reports what it saw (originMismatch) rather than a bare timeout.
        let clock = ScriptedClock(Self.t1)
        try await FakeSNTPResponder.withResponder(
            .replying { request in
                var reply = serverReply(to: request, receivedAt: Self.t1, transmittedAt: Self.t1)
                reply.originTimestamp = NTPTimestamp(rawValue: Self.nonce ^ 1)
                return [.packet(reply)]
            }
        ) { responder in
            let error = await #expect(throws: SNTPError.self) {
                try await Self.client(clock: clock).query(host: "127.0.0.1", port: responder.port, timeout: .seconds(6))
            }
            #expect(error == .originMismatch)
            #expect(responder.requests.count == 1)
        }
    }

    @Test func wrongOriginFollowedByTheRealReplyIsAccepted() async throws {
        let clock = ScriptedClock(Self.t1, Self.t1 + 0.5, Self.t1 + 0.010)
        try await FakeSNTPResponder.withResponder(
            .replying { request in
                var forged = serverReply(to: request, receivedAt: Self.t1 + 1_000, transmittedAt: Self.t1 + 1_000)
                forged.originTimestamp = .zero
                return [.packet(forged), .packet(serverReply(to: request, receivedAt: Self.t1 + 7.005, transmittedAt: Self.t1 + 7.005))]
            }
        ) { responder in
            // The clock is read on each datagram from the server (T1, then T4 candidates 0.5 and 0.010): the forged
            // datagram consumes one reading, the real reply gets T4 = T1 + 0.010.
            let measurement = try await Self.client(clock: clock).query(host: "127.0.0.1", port: responder.port, timeout: .seconds(30))
            #expect(abs(measurement.offset - 7.0) < 1e-6)
            #expect(abs(measurement.delay - 0.010) < 1e-6)
        }
    }

    @Test func kissOfDeathReportsItsCode() async throws {
        let clock = ScriptedClock(Self.t1)
        try await FakeSNTPResponder.withResponder(
            .replying { request in
                var kiss = serverReply(to: request, receivedAt: 0, transmittedAt: 0, stratum: 0)
                kiss.leapIndicator = 3
                kiss.referenceID = 0x5241_5445
                return [.packet(kiss)]
            }
        ) { responder in
            let error = await #expect(throws: SNTPError.self) {
                try await Self.client(clock: clock).query(host: "127.0.0.1", port: responder.port, timeout: .seconds(30))
            }
            #expect(error == .kissOfDeath(code: "RATE"))
            #expect(error?.kissOfDeathCode == "RATE")
            #expect(error?.description == "the NTP server refused the request (kiss-o'-death RATE)")
        }
    }

    @Test func leapIndicator3MeansUnsynchronized() async throws {
        try await expectRejection(.unsynchronized) { reply in reply.leapIndicator = 3 }
    }

    @Test func clientModeReplyIsRejected() async throws {
        try await expectRejection(.notServerMode(3)) { reply in reply.mode = 3 }
    }

    @Test func broadcastModeReplyIsRejected() async throws {
        try await expectRejection(.notServerMode(5)) { reply in reply.mode = 5 }
    }

    @Test func unsupportedVersionIsRejected() async throws {
        try await expectRejection(.unsupportedVersion(2)) { reply in reply.version = 2 }
    }

    @Test func version3IsAccepted() async throws {
        let clock = ScriptedClock(Self.t1, Self.t1)
        try await FakeSNTPResponder.withResponder(
            .replying { request in
                var reply = serverReply(to: request, receivedAt: Self.t1 + 1, transmittedAt: Self.t1 + 1)
                reply.version = 3
                return [.packet(reply)]
            }
        ) { responder in
            let measurement = try await Self.client(clock: clock).query(host: "127.0.0.1", port: responder.port, timeout: .seconds(30))
            #expect(abs(measurement.offset - 1) < 1e-6)
        }
    }

    @Test func stratum16IsRejected() async throws {
        try await expectRejection(.badStratum(16)) { reply in reply.stratum = 16 }
    }

    @Test func zeroTransmitTimestampIsRejected() async throws {
        try await expectRejection(.zeroTransmitTimestamp) { reply in reply.transmitTimestamp = .zero }
    }

    @Test func silentServerTimesOut() async throws {
        let clock = ScriptedClock(Self.t1)
        try await FakeSNTPResponder.withResponder(.silent) { responder in
            let started = ContinuousClock.now
            let error = await #expect(throws: SNTPError.self) {
                try await Self.client(clock: clock).query(host: "127.0.0.1", port: responder.port, timeout: .milliseconds(200))
            }
            #expect(error == .timeout)
            #expect(error?.description == "no reply from the NTP server before the timeout")
            // The timeout bounds the wait from both sides: not early, and not much later.
            let elapsed = ContinuousClock.now - started
            #expect(elapsed >= .milliseconds(200))
            // Loose: a whole-suite run on two cores can hold a task for seconds.
            #expect(elapsed < .seconds(60))
            #expect(responder.requests.count == 1)
        }
    }

    @Test func truncatedReplyIsReportedAsTruncated() async throws {
        let clock = ScriptedClock(Self.t1)
        try await FakeSNTPResponder.withResponder(
            .replying { request in
                [.bytes(Array(serverReply(to: request, receivedAt: Self.t1, transmittedAt: Self.t1).bytes.prefix(20)))]
            }
        ) { responder in
            let error = await #expect(throws: SNTPError.self) {
                try await Self.client(clock: clock).query(host: "127.0.0.1", port: responder.port, timeout: .seconds(6))
            }
            #expect(error == .truncated(byteCount: 20))
            #expect(error?.description == "the NTP server sent a truncated reply (20 bytes, expected at least 48)")
        }
    }

    @Test func strayDatagramFromAnotherPortIsIgnored() async throws {
        // The stray copy is a perfect reply (right origin) claiming a 1000 s offset, and it arrives first; only the
        // source port gives it away. Our clock is read once for T1 and once for T4 of the real reply, not for the stray.
        let clock = ScriptedClock(Self.t1, Self.t1 + 0.004)
        try await FakeSNTPResponder.withResponder(
            .replying { request in
                [
                    .packetFromOtherPort(serverReply(to: request, receivedAt: Self.t1 + 1_000, transmittedAt: Self.t1 + 1_000)),
                    .packet(serverReply(to: request, receivedAt: Self.t1 + 2.002, transmittedAt: Self.t1 + 2.002)),
                ]
            }
        ) { responder in
            let measurement = try await Self.client(clock: clock).query(host: "127.0.0.1", port: responder.port, timeout: .seconds(30))
            #expect(abs(measurement.offset - 2.0) < 1e-6)
            #expect(abs(measurement.delay - 0.004) < 1e-6)
        }
    }

    @Test func onlyStrayDatagramsMeansTimeout() async throws {
        let clock = ScriptedClock(Self.t1)
        try await FakeSNTPResponder.withResponder(
            .replying { request in
                [.packetFromOtherPort(serverReply(to: request, receivedAt: Self.t1, transmittedAt: Self.t1))]
            }
        ) { responder in
            let error = await #expect(throws: SNTPError.self) {
                try await Self.client(clock: clock).query(host: "127.0.0.1", port: responder.port, timeout: .milliseconds(200))
            }
            #expect(error == .timeout)
        }
    }

    @Test func multipleServersPickTheSmallestDelayAndReportTheDeadOne() async throws {
        // One fixed reading serves as T1 and T4 for every query (T4 − T1 = 0), so each server's delay is set exactly
        // by its own T2/T3: δ = (T4−T1)−(T3−T2) = T2 − T3, and the offset by their midpoint.
        let clock = ScriptedClock(Self.t1)
        let client = Self.client(clock: clock)
        func script(offset: Double, delay: Double) -> FakeSNTPResponder.Script {
            .replying { request in
                [.packet(serverReply(to: request, receivedAt: Self.t1 + offset + delay / 2, transmittedAt: Self.t1 + offset - delay / 2))]
            }
        }
        try await FakeSNTPResponder.withResponder(script(offset: 0.5, delay: 0.300)) { slow in
            try await FakeSNTPResponder.withResponder(script(offset: 0.2, delay: 0.040)) { fast in
                try await FakeSNTPResponder.withResponder(.silent) { dead in
                    let servers = [
                        SNTPServer(host: "127.0.0.1", port: slow.port),
                        SNTPServer(host: "127.0.0.1", port: dead.port),
                        SNTPServer(host: "127.0.0.1", port: fast.port),
                    ]
                    let report = await client.query(servers: servers, timeout: .seconds(10))
                    #expect(report.results.map(\.server) == servers)
                    let slowResult = try report.results[0].result.get()
                    #expect(abs(slowResult.delay - 0.300) < 1e-6)
                    #expect(abs(slowResult.offset - 0.5) < 1e-6)
                    #expect(throws: SNTPError.timeout) { try report.results[1].result.get() }
                    let best = try #require(report.best)
                    #expect(best.server == "127.0.0.1:\(fast.port)")
                    #expect(abs(best.delay - 0.040) < 1e-6)
                    #expect(abs(best.offset - 0.2) < 1e-6)
                    #expect(dead.requests.count == 1)
                }
            }
        }
    }

    @Test func noAnswersMeansNoBest() async throws {
        try await FakeSNTPResponder.withResponder(.silent) { dead in
            let report = await Self.client(clock: ScriptedClock(Self.t1)).query(
                servers: [SNTPServer(host: "127.0.0.1", port: dead.port)],
                timeout: .milliseconds(200)
            )
            #expect(report.best == nil)
            #expect(report.results.count == 1)
            #expect(throws: SNTPError.timeout) { try report.results[0].result.get() }
        }
    }

    @Test func unresolvableHostIsReported() async throws {
        // ".invalid" is reserved (RFC 6761) and never resolves, so this fails in the resolver without network access.
        let error = await #expect(throws: SNTPError.self) {
            try await Self.client(clock: ScriptedClock(Self.t1)).query(host: "ntp.example.invalid", timeout: .seconds(10))
        }
        #expect(error == .resolutionFailed(host: "ntp.example.invalid"))
        #expect(error?.description == "the NTP server name ntp.example.invalid could not be resolved")
    }

    @Test func invalidPortIsAnError() async throws {
        let error = await #expect(throws: SNTPError.self) {
            try await Self.client(clock: ScriptedClock(Self.t1)).query(host: "127.0.0.1", port: 70_000)
        }
        #expect(error == .network("invalid UDP port 70000"))
    }

    /// Expects the query to fail at once with `expected` when a valid reply is altered by `spoil`.
    private func expectRejection(
        _ expected: SNTPError,
        sourceLocation: SourceLocation = #_sourceLocation,
        spoil: @escaping @Sendable (inout SNTPPacket) -> Void
    ) async throws {
        let clock = ScriptedClock(Self.t1)
        try await FakeSNTPResponder.withResponder(
            .replying { request in
                var reply = serverReply(to: request, receivedAt: Self.t1 + 1, transmittedAt: Self.t1 + 1)
                spoil(&reply)
                return [.packet(reply)]
            }
        ) { responder in
            // A generous timeout: these replies provably answer our request, so the client must fail
            // long before it (the bound leaves room for a loaded machine holding the task for seconds).
            let started = ContinuousClock.now
            let error = await #expect(throws: SNTPError.self, sourceLocation: sourceLocation) {
                try await Self.client(clock: clock).query(host: "127.0.0.1", port: responder.port, timeout: .seconds(120))
            }
            #expect(error == expected, sourceLocation: sourceLocation)
            #expect(ContinuousClock.now - started < .seconds(60), sourceLocation: sourceLocation)
        }
    }
}
