/// What the server announced in its EHLO reply (RFC 5321 section 4.1.1.1).
struct SMTPServerCapabilities: Sendable, Equatable {
    var extendedSMTP = false
    var startTLS = false
    var authMechanisms: Set<String> = []
    /// The SIZE limit in bytes; nil when not announced or announced without a limit (0).
    var sizeLimit: Int?
    var eightBitMIME = false

    init() {}

    /// Reads the extension lines of an EHLO reply (every line after the first, which is the greeting).
    init(ehloReply: SMTPReply) {
        self.extendedSMTP = true
        for line in ehloReply.lines.dropFirst() {
            let words = line.split(separator: " ").map { $0.uppercased() }
            guard let keyword = words.first else {
                continue
            }
            switch keyword {
            case "STARTTLS":
                self.startTLS = true
            case "AUTH":
                self.authMechanisms.formUnion(words.dropFirst())
            case "SIZE":
                if words.count > 1, let limit = Int(words[1]), limit > 0 {
                    self.sizeLimit = limit
                }
            case "8BITMIME":
                self.eightBitMIME = true
            default:
                // Some old servers still announce `AUTH=PLAIN LOGIN`.
                if keyword.hasPrefix("AUTH=") {
                    self.authMechanisms.insert(String(keyword.dropFirst(5)))
                    self.authMechanisms.formUnion(words.dropFirst())
                }
            }
        }
    }
}
