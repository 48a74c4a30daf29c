import Testing

@testable import SekishoServer

/// Pages and mails show where a sign-in came from only as its network.
@Suite struct CoarseAddressTests {
    @Test(arguments: [
        ("203.0.113.77", "203.0.113.0/24"),
        ("::ffff:198.51.100.9", "198.51.100.0/24"),
        ("2001:db8:1234:5678:9abc:def0:1234:5678", "2001:db8:1234:5678::/64"),
        ("[2001:db8::1]", "2001:db8::/64"),
        ("unknown", "unknown"),
    ])
    func cutsIPv4To24AndIPv6To64(address: String, shown: String) {
        #expect(CoarseAddress(address).description == shown)
    }
}
