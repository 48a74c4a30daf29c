/// Writes header text as RFC 2047 encoded words (`=?UTF-8?B?...?=`) when it is not plain ASCII.
enum MIMEHeaderEncoding {
    /// RFC 2047 section 2: an encoded word is at most 75 characters.
    static let maximumEncodedWordLength = 75
    /// `=?UTF-8?B?` and `?=`.
    private static let encodedWordOverhead = 12

    /// Whether text can go into a header as it is: printable ASCII only and nothing that looks like an encoded word.
    static func isPlainASCII(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7F } && !text.contains("=?")
    }

    /// Encodes text as one or more encoded words, each at most 75 characters, split only between characters
    /// (RFC 2047 section 5: each word must hold whole characters).
    static func encodedWords(_ text: String) -> [String] {
        // 63 base64 characters fit; the largest multiple of 4 is 60, which is 45 bytes.
        let maximumBytes = (self.maximumEncodedWordLength - self.encodedWordOverhead) / 4 * 3
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in text {
            let bytes = Array(String(character).utf8)
            if !chunk.isEmpty, chunk.count + bytes.count > maximumBytes {
                words.append(self.encodedWord(chunk))
                chunk = []
            }
            if bytes.count > maximumBytes {
                // An extraordinarily long grapheme cluster: split it at scalar boundaries instead.
                for scalar in String(character).unicodeScalars {
                    let scalarBytes = Array(String(scalar).utf8)
                    if chunk.count + scalarBytes.count > maximumBytes {
                        words.append(self.encodedWord(chunk))
                        chunk = []
                    }
                    chunk += scalarBytes
                }
            } else {
                chunk += bytes
            }
        }
        if !chunk.isEmpty || words.isEmpty {
            words.append(self.encodedWord(chunk))
        }
        return words
    }

    private static func encodedWord(_ bytes: [UInt8]) -> String {
        "=?UTF-8?B?" + Base64.encode(bytes) + "?="
    }

    /// Renders an unstructured header value (Subject, extra headers), folded with CRLF + space.
    ///
    /// ASCII text is folded at spaces to keep lines near 78 characters; other text becomes encoded words,
    /// one per folded line.
    static func unstructured(_ text: String, headerName: String) -> String {
        if self.isPlainASCII(text), !text.split(separator: " ").contains(where: { $0.utf8.count > 900 }) {
            return self.foldASCII(text, firstLineUsed: headerName.utf8.count + 2)
        }
        return self.encodedWords(text).joined(separator: "\r\n ")
    }

    /// Renders a display name in an address: an atom sequence, a quoted string, or encoded words.
    static func phrase(_ name: String) -> String {
        guard self.isPlainASCII(name) else {
            return self.encodedWords(name).joined(separator: " ")
        }
        let atext = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~ ".unicodeScalars)
        if name.unicodeScalars.allSatisfy({ atext.contains($0) }), !name.hasPrefix(" "), !name.hasSuffix(" "), !name.contains("  ") {
            return name
        }
        var quoted = "\""
        for scalar in name.unicodeScalars {
            if scalar == "\"" || scalar == "\\" {
                quoted.unicodeScalars.append("\\")
            }
            quoted.unicodeScalars.append(scalar)
        }
        return quoted + "\""
    }

    private static func foldASCII(_ text: String, firstLineUsed: Int) -> String {
        var result = ""
        var lineLength = firstLineUsed
        for (index, word) in text.split(separator: " ", omittingEmptySubsequences: false).enumerated() {
            if index > 0 {
                if lineLength + 1 + word.utf8.count > 78, lineLength > 1 {
                    result += "\r\n"
                    lineLength = 0
                }
                result += " "
                lineLength += 1
            }
            result += word
            lineLength += word.utf8.count
        }
        return result
    }
}
