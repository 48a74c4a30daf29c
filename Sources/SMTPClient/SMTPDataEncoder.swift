/// Prepares message bytes for the SMTP DATA phase (RFC 5321 section 4.5.2).
enum SMTPDataEncoder {
    /// Normalises every line ending to CRLF, doubles a leading `.` on each line (dot-stuffing), and appends the
    /// terminating `.` line, so no content can end the DATA phase early.
    static func encode(_ message: [UInt8]) -> [UInt8] {
        var lines = LineSplitter.split(message)
        if lines.count > 1, lines.last?.isEmpty == true {
            lines.removeLast()
        }
        var output: [UInt8] = []
        output.reserveCapacity(message.count + message.count / 40 + 5)
        for line in lines {
            if line.first == UInt8(ascii: ".") {
                output.append(UInt8(ascii: "."))
            }
            output.append(contentsOf: line)
            output.append(contentsOf: [0x0D, 0x0A])
        }
        output.append(contentsOf: [UInt8(ascii: "."), 0x0D, 0x0A])
        return output
    }
}
