import Foundation
import Testing

@testable import SMTPClient

@Suite struct RFC5322DateTests {
    @Test(arguments: [
        (0.0, "Thu, 01 Jan 1970 00:00:00 +0000"),
        (-1.0, "Wed, 31 Dec 1969 23:59:59 +0000"),
        (951_782_400.0, "Tue, 29 Feb 2000 00:00:00 +0000"),
        (1_700_000_000.0, "Tue, 14 Nov 2023 22:13:20 +0000"),
        (4_102_444_799.5, "Thu, 31 Dec 2099 23:59:59 +0000"),
    ])
    func formatsKnownInstants(seconds: Double, expected: String) {
        #expect(RFC5322Date.format(Date(timeIntervalSince1970: seconds)) == expected)
    }
}
