import SNTPClient
import Testing

@Suite struct NTPTimestampTests {
    /// 2036-02-07 06:28:16 UTC, where the NTP seconds field wraps from 2^32 − 1 to 0 (era 0 → era 1).
    static let rollover = 2_085_978_496.0

    @Test func unixEpochIsNTPSeconds2208988800() {
        let epoch = NTPTimestamp(unixSeconds: 0)
        #expect(epoch.seconds == 2_208_988_800)
        #expect(epoch.fraction == 0)
        #expect(epoch.rawValue == 2_208_988_800 << 32)
    }

    @Test func knownDates() {
        // 2000-01-01 00:00 UTC is NTP 3,155,673,600 (RFC 5905 figure 4 era table, via 1900 + 100 years + 24 leap days).
        #expect(NTPTimestamp(unixSeconds: 946_684_800).seconds == 3_155_673_600)
        // Half a second is the top bit of the fraction; a quarter the next one.
        #expect(NTPTimestamp(unixSeconds: 946_684_800.5).fraction == 0x8000_0000)
        #expect(NTPTimestamp(unixSeconds: 946_684_800.25).fraction == 0x4000_0000)
    }

    @Test func fieldsComposeTheRawValue() {
        let timestamp = NTPTimestamp(seconds: 0xDEAD_BEEF, fraction: 0x0123_4567)
        #expect(timestamp.rawValue == 0xDEAD_BEEF_0123_4567)
        #expect(timestamp.seconds == 0xDEAD_BEEF)
        #expect(timestamp.fraction == 0x0123_4567)
        #expect(timestamp.description == "NTPTimestamp(0xdeadbeef01234567)")
        #expect(NTPTimestamp.zero.description == "NTPTimestamp(0x0000000000000000)")
    }

    @Test func rolloverWrapsTheSecondsField() {
        let before = NTPTimestamp(unixSeconds: Self.rollover - 0.25)
        let at = NTPTimestamp(unixSeconds: Self.rollover)
        let after = NTPTimestamp(unixSeconds: Self.rollover + 1.5)
        #expect(before.seconds == UInt32.max)
        #expect(before.fraction == 0xC000_0000)
        #expect(at.rawValue == 0)
        #expect(after.seconds == 1)
        #expect(after.fraction == 0x8000_0000)
    }

    @Test func differencesStraddlingThe2036RolloverAreSmallAndSigned() {
        let before = NTPTimestamp(unixSeconds: Self.rollover - 0.25)
        let after = NTPTimestamp(unixSeconds: Self.rollover + 1.5)
        // As absolute values `after` looks 136 years earlier; on-wire arithmetic gives the true 1.75 s.
        #expect(after.rawValue < before.rawValue)
        #expect(after.seconds(since: before) == 1.75)
        #expect(before.seconds(since: after) == -1.75)
    }

    @Test func differencesOfOrdinaryTimestamps() {
        let t1 = NTPTimestamp(unixSeconds: 1_700_000_000)
        let t2 = NTPTimestamp(unixSeconds: 1_700_000_045.5)
        #expect(t2.seconds(since: t1) == 45.5)
        #expect(t1.seconds(since: t2) == -45.5)
        #expect(t1.seconds(since: t1) == 0)
        // The largest representable difference is just under 2^31 s (68 years) either way.
        #expect(NTPTimestamp(seconds: 0x7FFF_FFFF, fraction: 0).seconds(since: .zero) == 2_147_483_647)
        #expect(NTPTimestamp(seconds: 0x8000_0000, fraction: 0).seconds(since: .zero) == -2_147_483_648)
    }

    @Test func unixSecondsPicksTheEraNearestTheReference() {
        let afterRollover = NTPTimestamp(unixSeconds: Self.rollover + 5)
        #expect(afterRollover.seconds == 5)
        #expect(afterRollover.unixSeconds(near: Self.rollover - 100) == Self.rollover + 5)
        // The same bits near 1900 + 5 s when the reference is in era 0's early days (1900 is Unix −2208988800).
        #expect(afterRollover.unixSeconds(near: -2_208_988_000) == -2_208_988_795)
        let present = NTPTimestamp(unixSeconds: 1_700_000_000.125)
        #expect(present.unixSeconds(near: 1_699_999_000) == 1_700_000_000.125)
    }

    @Test func roundTripKeepsMicrosecondPrecision() {
        for unix in [0.0, 1_700_000_000.123456, Self.rollover - 0.000001, Self.rollover + 86_400.987654, 4_000_000_000.5] {
            let back = NTPTimestamp(unixSeconds: unix).unixSeconds(near: unix)
            #expect(abs(back - unix) < 1e-6, "\(unix) came back as \(back)")
        }
    }
}
