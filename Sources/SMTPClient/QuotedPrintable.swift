/// Quoted-printable content transfer encoding (RFC 2045 section 6.7).
///
/// Chosen over base64 for text parts because the result stays readable in raw form and needs no
/// 8BITMIME support from the server: the output is 7-bit ASCII with lines of at most 76 characters.
public enum QuotedPrintable {
    /// The longest encoded line, soft-break `=` included (RFC 2045 rule 5).
    public static let maximumLineLength = 76

    /// Encodes text; line breaks of any kind (CRLF, LF, CR) become CRLF hard breaks.
    public static func encode(_ text: String) -> String {
        self.encode(bytes: Array(text.utf8))
    }

    /// Encodes UTF-8 bytes; line breaks of any kind (CRLF, LF, CR) become CRLF hard breaks.
    public static func encode(bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + bytes.count / 4)
        let lines = LineSplitter.split(bytes)
        for (index, line) in lines.enumerated() {
            self.encodeLine(line, into: &output)
            if index < lines.count - 1 {
                output.append(contentsOf: [0x0D, 0x0A])
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    private static func encodeLine(_ line: ArraySlice<UInt8>, into output: inout [UInt8]) {
        var lineLength = 0
        var index = line.startIndex
        while index < line.endIndex {
            let byte = line[index]
            let isLast = index == line.index(before: line.endIndex)
            let token: [UInt8]
            // Whitespace at the end of a line would be stripped by transports, so it is encoded (rule 3).
            if (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "=")) || ((byte == 0x20 || byte == 0x09) && !isLast) {
                token = [byte]
            } else {
                token = [UInt8(ascii: "="), self.hexDigits[Int(byte >> 4)], self.hexDigits[Int(byte & 0x0F)]]
            }
            // The last token of the line needs no room for a soft break; every other one leaves a column for `=`.
            let limit = isLast ? self.maximumLineLength : self.maximumLineLength - 1
            if lineLength + token.count > limit {
                output.append(contentsOf: [UInt8(ascii: "="), 0x0D, 0x0A])
                lineLength = 0
                // A space or tab that now ends up last before the soft break is fine: the `=` follows it.
            }
            output.append(contentsOf: token)
            lineLength += token.count
            index = line.index(after: index)
        }
    }
}

/// Splits bytes at CRLF, LF or lone CR, so every kind of line ending is treated alike.
enum LineSplitter {
    static func split(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        var lines: [ArraySlice<UInt8>] = []
        var start = bytes.startIndex
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == 0x0D || byte == 0x0A {
                lines.append(bytes[start..<index])
                if byte == 0x0D, index + 1 < bytes.endIndex, bytes[index + 1] == 0x0A {
                    index += 1
                }
                start = index + 1
            }
            index += 1
        }
        lines.append(bytes[start..<bytes.endIndex])
        return lines
    }
}
