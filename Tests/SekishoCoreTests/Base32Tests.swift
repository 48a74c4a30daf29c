import SekishoCore
import TestSupport
import Testing

@Suite struct Base32Tests {
    /// RFC 4648 section 10, with the padding the RFC shows.
    static let vectors: [(plain: String, padded: String)] = [
        ("", ""),
        ("f", "MY======"),
        ("fo", "MZXQ===="),
        ("foo", "MZXW6==="),
        ("foob", "MZXW6YQ="),
        ("fooba", "MZXW6YTB"),
        ("foobar", "MZXW6YTBOI======"),
    ]

    @Test(arguments: vectors)
    func encodesRFC4648Vectors(plain: String, padded: String) {
        let unpadded = String(padded.filter { $0 != "=" })
        #expect(Base32.encode(Array(plain.utf8)) == unpadded)
    }

    @Test(arguments: vectors)
    func decodesRFC4648VectorsWithAndWithoutPadding(plain: String, padded: String) throws {
        #expect(try Base32.decode(padded) == Array(plain.utf8))
        #expect(try Base32.decode(String(padded.filter { $0 != "=" })) == Array(plain.utf8))
    }

    @Test func roundTripsRandomLengths() throws {
        var rng = SplitMix64(seed: 0xB32)
        for length in 0...64 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let encoded = Base32.encode(bytes)
            #expect(encoded.count == (length * 8 + 4) / 5)
            #expect(!encoded.contains("="))
            #expect(try Base32.decode(encoded) == bytes, "length \(length)")
        }
    }

    @Test func acceptsLowerCaseSpacesAndDashes() throws {
        #expect(try Base32.decode("mzxw 6ytb oi") == Array("foobar".utf8))
        #expect(try Base32.decode("MZXW-6YTB-OI") == Array("foobar".utf8))
        #expect(try Base32.decode("  mZxW6 yTbOi======  ") == Array("foobar".utf8))
    }

    @Test(arguments: ["MZXW6YTB1", "MZXW0YTB", "MZXW6YTB!", "MZXW\n6YTB", "MZXW6YTBé", "MZXW_6YTB"])
    func rejectsCharactersOutsideTheAlphabet(text: String) {
        #expect {
            try Base32.decode(text)
        } throws: { error in
            if case .invalidCharacter = error as? Base32Error { return true }
            return false
        }
    }

    @Test func reportsTheOffsetOfABadCharacter() {
        #expect(throws: Base32Error.invalidCharacter(offset: 3)) { try Base32.decode("MZX1") }
    }

    @Test(arguments: ["M", "MZX", "MZXW6Y", "MZXW6YTBO"])
    func rejectsImpossibleLengths(text: String) {
        #expect {
            try Base32.decode(text)
        } throws: { error in
            if case .invalidLength = error as? Base32Error { return true }
            return false
        }
    }

    @Test func rejectsNonZeroTrailingBits() {
        // "MY" is "f"; "MZ" carries the same byte plus a set unused bit.
        #expect(throws: Base32Error.nonZeroTrailingBits) { try Base32.decode("MZ") }
    }

    @Test func rejectsDataAfterPadding() {
        #expect(throws: Base32Error.dataAfterPadding) { try Base32.decode("MY======MY") }
    }

    @Test func errorsDescribeTheProblem() {
        #expect(Base32Error.invalidCharacter(offset: 4).description.contains("offset 4"))
        #expect(Base32Error.invalidLength(symbols: 3).description.contains("3 symbols"))
    }
}
