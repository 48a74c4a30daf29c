import Foundation
import HTTPTypes

/// The address of the client a request comes from, as lockouts and the audit log should see it.
///
/// Behind a reverse proxy the TCP peer is the proxy; the client is in `X-Forwarded-For`. That
/// header is written by whoever sends the request, so it is only read when the peer is one of
/// `server.trusted_proxies`, and then from the right: each trusted proxy appends the address it
/// saw, so the right-most address that is not itself a trusted proxy is the first one nobody
/// trusted could have forged. Anything further left was written by the client.
public enum ClientAddress {
    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!

    /// The client's address: `peer` unless `peer` is a trusted proxy and `X-Forwarded-For` names another.
    public static func resolve(peer: String, headers: HTTPFields, trusted: [CIDR]) -> String {
        guard CIDR.any(trusted, contains: peer) else { return peer }
        // Several header lines are one list, in order (RFC 9110 §5.3).
        let hops = headers[values: forwardedFor].flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        var address = peer
        for hop in hops.reversed() {
            // A malformed entry ends what can be believed; the hop to its right is the answer.
            guard let bytes = CIDR.parseAddress(hop) else { return address }
            address = normalized(hop, bytes: bytes)
            if !trusted.contains(where: { $0.contains(bytes: bytes) }) { return address }
        }
        return address
    }

    /// Whether the peer may tell us about the original request (`X-Forwarded-*`, `X-Original-URL`).
    public static func isTrustedProxy(_ peer: String, trusted: [CIDR]) -> Bool {
        CIDR.any(trusted, contains: peer)
    }

    /// The address without brackets or a port-less oddity: `[::1]` → `::1`, `::ffff:1.2.3.4` → `1.2.3.4`.
    private static func normalized(_ text: String, bytes: [UInt8]) -> String {
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        var text = text
        if text.hasPrefix("["), text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        return text
    }
}
