import SekishoCore
import TestSupport
import Testing

@Suite struct TOTPSecretTests {
    @Test func defaultLengthGivesTheTwentyFourCharacterKey() {
        let secret = TOTPSecret.generate()
        #expect(TOTPSecret.defaultByteCount == 15)
        #expect(secret.count == 15)
        let key = Base32.encode(secret)
        #expect(key.count == 24)
        #expect(!key.contains("="))
    }

    @Test func twentyBytesGiveThirtyTwoCharacters() {
        #expect(Base32.encode(TOTPSecret.generate(byteCount: 20)).count == 32)
    }

    @Test func generationsDiffer() {
        let secrets = (0..<8).map { _ in TOTPSecret.generate() }
        #expect(Set(secrets).count == secrets.count)
    }

    @Test func usesTheInjectedGenerator() {
        var first = SplitMix64(seed: 11)
        var second = SplitMix64(seed: 11)
        var other = SplitMix64(seed: 12)
        for byteCount in [10, 15, 20, 33, 64] {
            let secret = TOTPSecret.generate(byteCount: byteCount, using: &first)
            #expect(secret.count == byteCount)
            #expect(secret == TOTPSecret.generate(byteCount: byteCount, using: &second))
            #expect(secret != TOTPSecret.generate(byteCount: byteCount, using: &other))
        }
    }
}
