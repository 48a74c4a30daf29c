import TestSupport
import Testing
import WebAuthn

@Suite struct CBORDecoderTests {
    private func hex(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            bytes.append(UInt8(text[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }

    /// Examples of RFC 8949 Appendix A.
    @Test func decodesTheRFCExamples() throws {
        let decoder = CBORDecoder()
        #expect(try decoder.decode(hex("00")) == .unsigned(0))
        #expect(try decoder.decode(hex("1864")) == .unsigned(100))
        #expect(try decoder.decode(hex("1bffffffffffffffff")) == .unsigned(.max))
        #expect(try decoder.decode(hex("3903e7")) == .negative(999))
        #expect(try decoder.decode(hex("3903e7")).int == -1000)
        #expect(try decoder.decode(hex("4401020304")) == .bytes([1, 2, 3, 4]))
        #expect(try decoder.decode(hex("62c3bc")) == .text("ü"))
        #expect(
            try decoder.decode(hex("8301820203820405"))
                == .array([.unsigned(1), .array([.unsigned(2), .unsigned(3)]), .array([.unsigned(4), .unsigned(5)])])
        )
        #expect(try decoder.decode(hex("a201020304")) == .map([(.unsigned(1), .unsigned(2)), (.unsigned(3), .unsigned(4))]))
        #expect(try decoder.decode(hex("a26161016162820203"))["b"] == .array([.unsigned(2), .unsigned(3)]))
        #expect(try decoder.decode(hex("f5")) == .bool(true))
        #expect(try decoder.decode(hex("f6")) == .null)
        #expect(try decoder.decode(hex("c074323031332d30332d32315432303a30343a30305a")) == .tagged(0, .text("2013-03-21T20:04:00Z")))
        #expect(try decoder.decode(hex("fa47c35000")) == .float(0x47c3_5000))
    }

    @Test(arguments: [
        "5f42010243030405ff",  // indefinite byte string
        "9fff",  // indefinite array
        "1c",  // reserved additional information
        "5affffffff00",  // a byte string longer than the input
        "9bffffffffffffffff00",  // an array of 2^64-1 items
        "bbffffffffffffffff00",  // a map of 2^64-1 pairs
        "62c3",  // text cut short
        "62c328",  // text that is not UTF-8
        "a201020103",  // a key twice
        "0000",  // bytes after the item
        "f8ff",  // simple value in one byte after the head
        "",
    ])
    func refusesMalformedInput(hexText: String) {
        #expect(throws: WebAuthnError.self) { _ = try CBORDecoder().decode(hex(hexText)) }
    }

    @Test func refusesNestingDeeperThanTheLimit() throws {
        let deep = [UInt8](repeating: 0x81, count: 17) + [0x00]
        #expect(throws: WebAuthnError.self) { _ = try CBORDecoder().decode(deep) }
        #expect(try CBORDecoder().decode([UInt8](repeating: 0x81, count: 16) + [0x00]) != .null)
    }

    /// Random and cut-off input: every call returns or throws, none traps, and nothing decodes to
    /// more items than the limit allows. (The decoder's bounds are what makes this hold.)
    @Test func randomAndTruncatedInputNeverTraps() throws {
        var rng = SplitMix64(seed: 0x5EC1_5470)
        var decoded = 0
        for _ in 0..<20_000 {
            let length = Int(rng.next() % 48)
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            if (try? CBORDecoder().decode(bytes)) != nil { decoded += 1 }
        }
        #expect(decoded > 0, "random input sometimes is valid CBOR (a lone small integer at least)")
        let valid = hex(
            "a501020326200121582065eda5a12577c2bae829437fe338701a10aaa375e1bb5b5de108de439c08551d2258201e52ed75701163f7f9e40ddf9f341b3dc9ba860af7e0ca7ca7e9eecd0084d19c"
        )
        #expect(try CBORDecoder().decode(valid)[3]?.int == -7)
        for cut in 0..<valid.count {
            #expect(throws: WebAuthnError.self) { _ = try CBORDecoder().decode(Array(valid[0..<cut])) }
        }
        for _ in 0..<5_000 {
            var flipped = valid
            flipped[Int(rng.next() % UInt64(valid.count))] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
            _ = try? CBORDecoder().decode(flipped)
        }
    }
}
