import SekishoCore
import Testing

@Suite struct HOTPTests {
    /// RFC 4226 appendix D: secret "12345678901234567890", counters 0...9.
    static let appendixD = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"]

    @Test func matchesRFC4226AppendixD() {
        let hotp = HOTP(secret: Array("12345678901234567890".utf8))
        for (counter, expected) in Self.appendixD.enumerated() {
            #expect(hotp.code(counter: UInt64(counter)) == expected, "counter \(counter)")
        }
    }

    @Test func keepsLeadingZerosAndHonoursDigits() {
        // Find counters whose code starts with 0 and check the padding is kept at every length.
        let secret = Array("12345678901234567890".utf8)
        for digits in 6...8 {
            let hotp = HOTP(secret: secret, digits: digits)
            let codes = (0..<200).map { hotp.code(counter: UInt64($0)) }
            #expect(codes.allSatisfy { $0.count == digits && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) })
            #expect(codes.contains { $0.hasPrefix("0") }, "some code of 200 should start with 0")
        }
        // The 8-digit code ends with the 6-digit one: both are the same truncated value mod 10^n.
        #expect(HOTP(secret: secret, digits: 8).code(counter: 0).hasSuffix("755224"))
    }
}
