/// An NTP server address: a host name or IP literal and a UDP port.
public struct SNTPServer: Hashable, Sendable, CustomStringConvertible {
    /// The standard NTP port.
    public static let defaultPort = 123

    /// Host name or IP address literal (IPv6 without brackets).
    public var host: String
    /// UDP port.
    public var port: Int

    /// Creates a server address from its parts.
    public init(host: String, port: Int = SNTPServer.defaultPort) {
        self.host = host
        self.port = port
    }

    /// Parses "host", "host:port", "[v6]", "[v6]:port", or a bare IPv6 literal such as "::1" (which has no port).
    ///
    /// Returns `nil` for an empty host, a port that is not a number in 1...65535, or unbalanced brackets.
    public init?(parsing text: String) {
        let text = text.trimmingASCIIWhitespace()
        var host: Substring
        var portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { return nil }
                portText = rest.dropFirst()
            }
        } else if let colon = text.firstIndex(of: ":"), text[text.index(after: colon)...].contains(":") {
            // More than one colon and no brackets: an IPv6 literal, which cannot carry a port.
            host = text[...]
        } else if let colon = text.firstIndex(of: ":") {
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        } else {
            host = text[...]
        }
        guard !host.isEmpty, !host.contains("["), !host.contains("]"), !host.contains(where: \.isWhitespace) else { return nil }
        var port = Self.defaultPort
        if let portText {
            guard let parsed = Int(portText), (1...65_535).contains(parsed) else { return nil }
            port = parsed
        }
        self.init(host: String(host), port: port)
    }

    /// "host" for the default port, otherwise "host:port" ("[v6]:port" for IPv6); parses back with ``init(parsing:)``.
    public var description: String {
        if self.port == Self.defaultPort {
            return self.host
        }
        return self.host.contains(":") ? "[\(self.host)]:\(self.port)" : "\(self.host):\(self.port)"
    }
}

extension String {
    fileprivate func trimmingASCIIWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        return String(self.drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
