import Foundation
import SekishoCore
import TestSupport
import Testing

@Suite struct TOTPTests {
    static let seeds: [OTPAlgorithm: [UInt8]] = [
        .sha1: Array("12345678901234567890".utf8),
        .sha256: Array("12345678901234567890123456789012".utf8),
        .sha512: Array("1234567890123456789012345678901234567890123456789012345678901234".utf8),
    ]

    /// RFC 6238 appendix B: (Unix time, 8-digit code, algorithm).
    static let appendixB: [(time: Int64, code: String, algorithm: OTPAlgorithm)] = [
        (59, "94287082", .sha1), (59, "46119246", .sha256), (59, "90693936", .sha512),
        (1_111_111_109, "07081804", .sha1), (1_111_111_109, "68084774", .sha256), (1_111_111_109, "25091201", .sha512),
        (1_111_111_111, "14050471", .sha1), (1_111_111_111, "67062674", .sha256), (1_111_111_111, "99943326", .sha512),
        (1_234_567_890, "89005924", .sha1), (1_234_567_890, "91819424", .sha256), (1_234_567_890, "93441116", .sha512),
        (2_000_000_000, "69279037", .sha1), (2_000_000_000, "90698825", .sha256), (2_000_000_000, "38618901", .sha512),
        (20_000_000_000, "65353130", .sha1), (20_000_000_000, "77737706", .sha256), (20_000_000_000, "47863826", .sha512),
    ]

    static func date(_ unixTime: Int64) -> Date {
        Date(timeIntervalSince1970: TimeInterval(unixTime))
    }

    @Test func matchesAllRFC6238AppendixBRows() throws {
        #expect(Self.appendixB.count == 18)
        for row in Self.appendixB {
            let totp = TOTP(secret: try #require(Self.seeds[row.algorithm]), algorithm: row.algorithm, digits: 8)
            #expect(totp.code(at: Self.date(row.time)) == row.code, "\(row.algorithm) at \(row.time)")
            #expect(totp.match(row.code, at: Self.date(row.time), window: 0) == totp.step(at: Self.date(row.time)))
        }
    }

    @Test func stepIsFloorOfUnixTimeOverPeriod() {
        let totp = TOTP(secret: Array("12345678901234567890".utf8))
        #expect(totp.step(at: Self.date(0)) == 0)
        #expect(totp.step(at: Self.date(29)) == 0)
        #expect(totp.step(at: Self.date(30)) == 1)
        #expect(totp.step(at: Self.date(59)) == 1)
        #expect(totp.step(at: Self.date(1_111_111_109)) == 0x23523EC)  // RFC 6238 table
        #expect(totp.step(at: Self.date(20_000_000_000)) == 0x27BC_86AA)
        #expect(totp.step(at: Date(timeIntervalSince1970: 59.999)) == 1)
        #expect(TOTP(secret: [1, 2, 3], period: 60).step(at: Self.date(119)) == 1)
        #expect(totp.code(at: Self.date(1_234_567_890)) == totp.code(step: 41_152_263))
    }

    @Test func windowAcceptsNeighbouringStepsOnly() {
        var rng = SplitMix64(seed: 1)
        let totp = TOTP(secret: TOTPSecret.generate(using: &rng))
        let now = Self.date(1_700_000_015)
        let current = totp.step(at: now)
        for offset: Int64 in -1...1 {
            #expect(totp.match(totp.code(step: current + offset), at: now, window: 1) == current + offset)
        }
        for offset: Int64 in [-2, 2] {
            let code = totp.code(step: current + offset)
            // A code equal to a neighbour's by chance would match that neighbour; allow only that.
            let neighbours = (-1...1).map { totp.code(step: current + Int64($0)) }
            if !neighbours.contains(code) {
                #expect(totp.match(code, at: now, window: 1) == nil, "offset \(offset)")
            }
            #expect(totp.match(code, at: now, window: 2) == current + offset)
        }
    }

    @Test func driftMovesTheWindowWithoutWideningIt() {
        var rng = SplitMix64(seed: 3)
        let totp = TOTP(secret: TOTPSecret.generate(using: &rng))
        let now = Self.date(1_700_000_015)
        let current = totp.step(at: now)
        let inWindow = Set((-2...0).map { totp.code(step: current + Int64($0)) })
        for offset: Int64 in -2...0 {
            #expect(totp.match(totp.code(step: current + offset), at: now, window: 1, drift: -1) == current + offset)
        }
        for offset: Int64 in [-3, 1] where !inWindow.contains(totp.code(step: current + offset)) {
            #expect(totp.match(totp.code(step: current + offset), at: now, window: 1, drift: -1) == nil, "offset \(offset)")
        }
    }

    @Test func windowZeroChecksOnlyTheCurrentStep() {
        var rng = SplitMix64(seed: 7)
        let totp = TOTP(secret: TOTPSecret.generate(using: &rng))
        let now = Self.date(1_700_000_000)
        let current = totp.step(at: now)
        #expect(totp.match(totp.code(step: current), at: now, window: 0) == current)
        for offset: Int64 in [-1, 1] where totp.code(step: current + offset) != totp.code(step: current) {
            #expect(totp.match(totp.code(step: current + offset), at: now, window: 0) == nil)
        }
    }

    @Test func acceptsOnlyStepsAfterTheLastAcceptedOne() {
        let totp = TOTP(secret: Array("12345678901234567890".utf8))
        let now = Self.date(1_234_567_890)
        let current = totp.step(at: now)
        let code = totp.code(step: current)
        #expect(totp.match(code, at: now, window: 1, after: current - 1) == current)
        #expect(totp.match(code, at: now, window: 1, after: current) == nil, "replay of the accepted code")
        #expect(totp.match(code, at: now, window: 1, after: current + 1) == nil)
        // The previous step's code, still inside the window, is refused once a later step was used.
        let previous = totp.code(step: current - 1)
        #expect(totp.match(previous, at: now, window: 1, after: current - 2) == current - 1)
        #expect(totp.match(previous, at: now, window: 1, after: current - 1) == nil)
        #expect(totp.match(previous, at: now, window: 1, after: current) == nil)
    }

    @Test func prefersTheOldestMatchingStep() throws {
        // In a wide window, two steps share a 6-digit code by chance (birthday bound); find such a
        // pair and check the older step wins, and the newer one is reachable only after it.
        var rng = SplitMix64(seed: 42)
        let totp = TOTP(secret: TOTPSecret.generate(using: &rng))
        let now = Self.date(1_700_000_000)
        let current = totp.step(at: now)
        var firstStepOfCode: [String: Int64] = [:]
        var pair: (older: Int64, newer: Int64, code: String)?
        for step in (current - 1000)...(current + 1000) {
            let code = totp.code(step: step)
            if let older = firstStepOfCode[code] {
                pair = (older, step, code)
                break
            }
            firstStepOfCode[code] = step
        }
        let found = try #require(pair, "no repeated code in 2001 steps; change the seed")
        #expect(totp.match(found.code, at: now, window: 1000) == found.older)
        #expect(totp.match(found.code, at: now, window: 1000, after: found.older) == found.newer)
        #expect(totp.match(found.code, at: now, window: 1000, after: found.newer) == nil)
    }

    @Test(arguments: ["", "12345", "1234567", "12345a", "12 456", "-12345", "+12345", "１２３４５６", "123456\n"])
    func refusesMalformedCodes(code: String) {
        let totp = TOTP(secret: Array("12345678901234567890".utf8))
        #expect(totp.match(code, at: Self.date(59), window: 1000) == nil)
    }

    @Test func refusesAWrongCode() {
        let totp = TOTP(secret: Array("12345678901234567890".utf8))
        let now = Self.date(59)
        let right = totp.code(at: now)
        let wrong = String(right.dropLast()) + (right.last == "0" ? "1" : "0")
        let window = (-1...1).map { totp.code(step: totp.step(at: now) + Int64($0)) }
        #expect(!window.contains(wrong))
        #expect(totp.match(wrong, at: now, window: 1) == nil)
    }

    /// For each algorithm: 10 random keys x 5 random times, each checked against the real oathtool.
    @Test(arguments: OTPAlgorithm.allCases)
    func agreesWithOathtool(algorithm: OTPAlgorithm) throws {
        var rng = SplitMix64(seed: 0x5EC1_5400 &+ UInt64(OTPAlgorithm.allCases.firstIndex(of: algorithm)!))
        var checks = 0
        for _ in 0..<10 {
            let secret = TOTPSecret.generate(byteCount: [15, 20, 32, 64][Int.random(in: 0..<4, using: &rng)], using: &rng)
            let digits = Int.random(in: 6...8, using: &rng)
            let totp = TOTP(secret: secret, algorithm: algorithm, digits: digits)
            for _ in 0..<5 {
                let unixTime = Int64.random(in: 0...4_102_444_800, using: &rng)  // up to 2100-01-01
                let arguments = [
                    "--totp=\(algorithm.rawValue)", "-b", Base32.encode(secret), "-N", "@\(unixTime)", "-d", String(digits),
                ]
                let result = try Command("oathtool", arguments).runBlocking()
                #expect(result.status == 0, "oathtool failed: \(result.error)")
                let expected = result.output.trimmingCharacters(in: .whitespacesAndNewlines)
                #expect(expected.count == digits)
                #expect(totp.code(at: Self.date(unixTime)) == expected, "oathtool \(arguments.joined(separator: " "))")
                #expect(totp.match(expected, at: Self.date(unixTime), window: 0) == totp.step(at: Self.date(unixTime)))
                checks += 1
            }
        }
        #expect(checks == 50)
    }

    @Test func oathtoolDefaultsMatchOurDefaults() throws {
        // No --totp mode and no -d: oathtool's defaults (SHA-1, 6 digits, 30 s) must be ours too.
        var rng = SplitMix64(seed: 99)
        let secret = TOTPSecret.generate(using: &rng)
        let result = try Command("oathtool", ["--totp", "-b", Base32.encode(secret), "-N", "@1700000000"]).runBlocking()
        #expect(result.status == 0, "oathtool failed: \(result.error)")
        #expect(TOTP(secret: secret).code(at: Self.date(1_700_000_000)) == result.output.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test func externalToolReportsAMissingProgramClearly() {
        #expect {
            try Command("sekisho-no-such-tool", []).runBlocking()
        } throws: { error in
            String(describing: error).contains("sekisho-no-such-tool") && String(describing: error).contains("not found")
        }
    }

    @Test func externalToolKillsAProgramThatOverrunsItsTimeout() throws {
        let clock = ContinuousClock()
        let start = clock.now
        #expect {
            try Command("sleep", ["30"], timeout: .milliseconds(200)).runBlocking()
        } throws: { error in
            String(describing: error).contains("did not finish")
        }
        #expect(clock.now - start < .seconds(5))
    }

    @Test func externalToolPassesStandardInputAndReportsStatus() throws {
        let echoed = try Command("cat", [], input: "こんにちは\n").runBlocking()
        #expect(echoed.status == 0 && echoed.output == "こんにちは\n" && echoed.error.isEmpty)
        let failed = try Command("sh", ["-c", "echo oops >&2; exit 3"]).runBlocking()
        #expect(failed.status == 3 && failed.error == "oops\n")
    }
}
