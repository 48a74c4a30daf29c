/// A client address cut to its network, for pages and mails that say where a sign-in came from:
/// an IPv4 address to its /24, an IPv6 address to its /64. Enough for a person to tell "home"
/// from "somewhere else"; not the address itself, which a mail or a shared screen would carry
/// further than needed.
struct CoarseAddress: CustomStringConvertible {
    let description: String

    init(_ address: String) {
        guard let bytes = CIDR.parseAddress(address), let network = CIDR("\(address)/\(bytes.count == 4 ? 24 : 64)") else {
            // Not an address ("unknown" when the peer had none): shown as it is, it names nobody.
            description = address
            return
        }
        description = network.description
    }
}
