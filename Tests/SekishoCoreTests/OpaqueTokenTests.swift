import Crypto
import Foundation
import SekishoCore
import TestSupport
import Testing

@Suite struct OpaqueTokenTests {
    @Test func isFortyThreeBase64URLCharactersOfThirtyTwoBytes() throws {
        for _ in 0..<20 {
            let token = OpaqueToken.generate()
            #expect(token.value.count == 43)
            #expect(OpaqueToken.isWellFormed(token.value))
            // Decode with Foundation as an independent base64url implementation.
            let standard = token.value.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/") + "="
            let bytes = try #require(Data(base64Encoded: standard))
            #expect(bytes.count == 32)
            #expect(
                bytes.base64EncodedString().dropLast().replacingOccurrences(of: "+", with: "-")
                    .replacingOccurrences(of: "/", with: "_") == token.value
            )
        }
    }

    @Test func tokensDifferAndFollowTheInjectedGenerator() {
        let values = (0..<16).map { _ in OpaqueToken.generate().value }
        #expect(Set(values).count == values.count)
        var first = SplitMix64(seed: 5)
        var second = SplitMix64(seed: 5)
        #expect(OpaqueToken.generate(using: &first).value == OpaqueToken.generate(using: &second).value)
        #expect(OpaqueToken.generate(using: &first).value != OpaqueToken.generate(using: &first).value)
    }

    @Test func hashIsHexSHA256OfTheText() {
        var rng = SplitMix64(seed: 6)
        let token = OpaqueToken.generate(using: &rng)
        let reference = SHA256.hash(data: Data(token.value.utf8)).map { String(format: "%02x", $0) }.joined()
        #expect(token.hash == reference)
        #expect(OpaqueToken.hash(token.value) == reference)
        #expect(token.hash.count == 64)
        #expect(OpaqueToken.hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")  // FIPS 180-2
    }

    @Test func wellFormednessIsStrict() {
        let good = String(repeating: "A", count: 42) + "E"
        #expect(OpaqueToken.isWellFormed(good))
        #expect(OpaqueToken.isWellFormed(String(repeating: "_", count: 42) + "w"))
        #expect(!OpaqueToken.isWellFormed(String(repeating: "A", count: 42)))
        #expect(!OpaqueToken.isWellFormed(String(repeating: "A", count: 44)))
        #expect(!OpaqueToken.isWellFormed(String(repeating: "A", count: 42) + "="))
        #expect(!OpaqueToken.isWellFormed(String(repeating: "A", count: 42) + "+"))
        #expect(!OpaqueToken.isWellFormed(String(repeating: "A", count: 41) + "/E"))
        #expect(!OpaqueToken.isWellFormed(String(repeating: "A", count: 42) + "B"), "unused bits set")
        #expect(!OpaqueToken.isWellFormed(""))
        #expect(!OpaqueToken.isWellFormed("' OR 1=1 --" + String(repeating: "A", count: 32)))
    }
}
