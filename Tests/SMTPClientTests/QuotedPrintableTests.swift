import Foundation
import Testing

@testable import SMTPClient

@Suite struct QuotedPrintableTests {
    @Test func encodesEqualsSignAndNonASCII() {
        #expect(QuotedPrintable.encode("a=b") == "a=3Db")
        #expect(QuotedPrintable.encode("café") == "caf=C3=A9")
        #expect(QuotedPrintable.encode("plain text, 100% ASCII!") == "plain text, 100% ASCII!")
    }

    @Test func encodesTrailingWhitespaceOnly() {
        #expect(QuotedPrintable.encode("a b ") == "a b=20")
        #expect(QuotedPrintable.encode("tab\t\nnext") == "tab=09\r\nnext")
    }

    @Test func normalisesEveryLineEndingToCRLF() {
        #expect(QuotedPrintable.encode("one\ntwo\r\nthree\rfour") == "one\r\ntwo\r\nthree\r\nfour")
    }

    @Test func softBreaksKeepLinesWithin76Characters() throws {
        let text = String(repeating: "a", count: 200) + "\n" + String(repeating: "é", count: 60) + " \n" + String(repeating: "= ", count: 80)
        let encoded = QuotedPrintable.encode(text)
        for line in encoded.components(separatedBy: "\r\n") {
            #expect(line.utf8.count <= 76, "line too long: \(line)")
        }
        #expect(encoded.contains("=\r\n"))
        #expect(try Self.decode(encoded) == text.replacingOccurrences(of: "\n", with: "\r\n"))
    }

    @Test func roundTripsJapaneseAndMixedText() throws {
        let samples = [
            "こんにちは、世界。二段階認証のコードは 123456 です。",
            "  leading spaces and trailing  \n\n.dot line\n=equals= \t",
            String(repeating: "日本語のテキスト", count: 30),
        ]
        for sample in samples {
            let encoded = QuotedPrintable.encode(sample)
            #expect(encoded.utf8.allSatisfy { $0 < 0x80 })
            #expect(try Self.decode(encoded) == sample.replacingOccurrences(of: "\n", with: "\r\n"))
        }
    }

    /// A strict decoder (RFC 2045 section 6.7) used only to check the encoder.
    static func decode(_ encoded: String) throws -> String {
        var output: [UInt8] = []
        let bytes = Array(encoded.utf8)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "=") {
                if index + 2 < bytes.count, bytes[index + 1] == 0x0D, bytes[index + 2] == 0x0A {
                    index += 3
                    continue
                }
                let hex = try #require(index + 2 < bytes.count ? String(decoding: bytes[index + 1...index + 2], as: UTF8.self) : nil)
                output.append(try #require(UInt8(hex, radix: 16)))
                index += 3
            } else {
                output.append(byte)
                index += 1
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}
