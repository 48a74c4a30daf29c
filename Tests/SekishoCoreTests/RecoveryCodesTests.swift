import Crypto
import Foundation
import SekishoCore
import TestSupport
import Testing

@Suite struct RecoveryCodesTests {
    @Test func generatesTenDistinctEightDigitCodes() {
        var rng = SplitMix64(seed: 8)
        for _ in 0..<50 {
            let codes = RecoveryCodes.generate(using: &rng)
            #expect(codes.count == RecoveryCodes.count)
            #expect(RecoveryCodes.count == 10 && RecoveryCodes.digits == 8)
            #expect(Set(codes).count == codes.count)
            #expect(codes.allSatisfy { $0.utf8.count == 8 && $0.utf8.allSatisfy { (0x30...0x39).contains($0) } })
        }
        let system = RecoveryCodes.generate()
        #expect(system.count == 10 && Set(system).count == 10)
        #expect(system != RecoveryCodes.generate())
    }

    @Test func keepsLeadingZerosAndCoversAllLeadingDigits() {
        var rng = SplitMix64(seed: 9)
        var leadingDigits: [Character: Int] = [:]
        for _ in 0..<200 {
            for code in RecoveryCodes.generate(using: &rng) {
                leadingDigits[code.first!, default: 0] += 1
            }
        }
        // 2,000 uniform codes: each leading digit about 200 times; 0 must be among them.
        #expect(leadingDigits.count == 10)
        #expect(leadingDigits.values.allSatisfy { (120...280).contains($0) }, "\(leadingDigits)")
    }

    @Test func rejectsDrawsFromTheIncompleteLastBlock() {
        // A generator that first returns values at the very top of UInt64's range (which modulo
        // reduction would map to biased codes), then small ones: the top values must be skipped.
        struct Scripted: RandomNumberGenerator {
            var values: [UInt64]
            mutating func next() -> UInt64 { values.removeFirst() }
        }
        let top = UInt64.max - 5
        var rng = Scripted(values: [top, 7, top, 12_345_678, 99_999_999, 1, 2, 3, 4, 5, 6, 100_000_000 + 8])
        let codes = RecoveryCodes.generate(using: &rng)
        #expect(
            codes == [
                "00000007", "12345678", "99999999", "00000001", "00000002", "00000003", "00000004", "00000005",
                "00000006", "00000008",
            ]
        )
    }

    @Test func normalizesWhatUsersType() {
        #expect(RecoveryCodes.normalize("12345678") == "12345678")
        #expect(RecoveryCodes.normalize(" 1234-5678 ") == "12345678")
        #expect(RecoveryCodes.normalize("1234 5678") == "12345678")
        #expect(RecoveryCodes.normalize("０１２３４５６７") == "01234567")
        #expect(RecoveryCodes.normalize("1234567") == nil)
        #expect(RecoveryCodes.normalize("123456789") == nil)
        #expect(RecoveryCodes.normalize("1234567a") == nil)
        #expect(RecoveryCodes.normalize("") == nil)
        #expect(RecoveryCodes.normalize("12345678;") == nil)
    }

    @Test func codeInputKeepsDigitsMapsFullWidthAndDropsSpacesAndDashes() {
        #expect(CodeInput.digits("123 456") == "123456")
        #expect(CodeInput.digits("１２３\u{3000}４５６") == "123456")
        #expect(CodeInput.digits("123-456") == "123456")
        #expect(CodeInput.digits("12345a") == nil)
        #expect(CodeInput.digits(String(repeating: "1", count: 17)) == nil)
        #expect(CodeInput.digits("") == "")
    }

    @Test func hashIsDeterministicKeyedAndNormalized() {
        let key = SymmetricKey(data: Array(repeating: UInt8(1), count: 32))
        let otherKey = SymmetricKey(data: Array(repeating: UInt8(2), count: 32))
        let hash = RecoveryCodes.hash("12345678", key: key)
        #expect(hash.count == 64 && hash.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        #expect(RecoveryCodes.hash("12345678", key: key) == hash)
        #expect(RecoveryCodes.hash("1234-5678", key: key) == hash)
        #expect(RecoveryCodes.hash("12345678", key: otherKey) != hash)
        #expect(RecoveryCodes.hash("12345679", key: key) != hash)
        // Independent check: it is HMAC-SHA256 over the code's ASCII bytes.
        let reference = HMAC<SHA256>.authenticationCode(for: Array("12345678".utf8), using: key)
        #expect(hash == reference.map { String(format: "%02x", $0) }.joined())
    }
}
