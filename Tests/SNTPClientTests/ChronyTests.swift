import SNTPClient
import SNTPTesting
import Testing

/// The client against a real chronyd on loopback.
@Suite struct ChronyTests {
    @Test func realChronyServerAgreesWithOurClock() async throws {
        try await Chrony.withServer { chrony in
            let measurement = try await SNTPClient().query(host: "127.0.0.1", port: chrony.port, timeout: .seconds(5))
            // chronyd with `-x` serves the very clock we read, over loopback: any offset is measurement noise.
            #expect(abs(measurement.offset) < max(0.050, measurement.delay / 2 + 0.005), "\(measurement)\n\(chrony.log)")
            #expect(measurement.delay > 0)
            // chrony reports the configured local stratum itself (8), not 8 + 1.
            #expect(measurement.stratum == 8)
            // The local reference's ID is 127.127.1.1 (0x7F7F0101), the classic "local clock" address.
            #expect(measurement.referenceID == "127.127.1.1")
            #expect(measurement.server == "127.0.0.1:\(chrony.port)")
            // The same clock, not another era; loose, because a loaded machine may pause us seconds.
            #expect(abs(measurement.serverTime - SystemSNTPClock().now()) < 60)
        }
    }

    @Test func reportAgainstChronyAndADeadPort() async throws {
        try await Chrony.withServer { chrony in
            // A dead server: a port that is bound by us but never answers.
            try await FakeSNTPResponder.withResponder(.silent) { dead in
                let report = await SNTPClient().query(
                    servers: [SNTPServer(host: "127.0.0.1", port: dead.port), SNTPServer(host: "127.0.0.1", port: chrony.port)],
                    timeout: .seconds(3)
                )
                #expect(throws: SNTPError.timeout) { try report.results[0].result.get() }
                let best = try #require(report.best, "\(chrony.log)")
                #expect(best.server == "127.0.0.1:\(chrony.port)")
                #expect(abs(best.offset) < max(0.050, best.delay / 2 + 0.005))
            }
        }
    }
}
