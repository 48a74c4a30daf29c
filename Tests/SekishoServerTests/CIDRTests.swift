import HTTPTypes
import SekishoServer
import Testing

@Suite struct CIDRTests {
    @Test func ipv4RangesContainTheirAddressesOnly() throws {
        let range = try #require(CIDR("10.1.0.0/16"))
        #expect(range.contains("10.1.0.0"))
        #expect(range.contains("10.1.255.255"))
        #expect(!range.contains("10.2.0.0"))
        #expect(!range.contains("11.1.0.1"))
        #expect(range.description == "10.1.0.0/16")
        // Host bits beyond the prefix are cleared, not refused.
        #expect(CIDR("192.168.1.77/24")?.description == "192.168.1.0/24")
        let odd = try #require(CIDR("172.16.0.0/12"))
        #expect(odd.contains("172.31.255.1"))
        #expect(!odd.contains("172.32.0.1"))
    }

    @Test func aBareAddressIsARangeOfOne() throws {
        let single = try #require(CIDR("127.0.0.1"))
        #expect(single.prefixLength == 32)
        #expect(single.contains("127.0.0.1"))
        #expect(!single.contains("127.0.0.2"))
        let six = try #require(CIDR("::1"))
        #expect(six.prefixLength == 128)
        #expect(six.contains("::1"))
        #expect(six.contains("0:0:0:0:0:0:0:1"))
        #expect(!six.contains("::2"))
    }

    @Test func ipv6RangesWork() throws {
        let range = try #require(CIDR("fd00::/8"))
        #expect(range.contains("fd12:3456::1"))
        #expect(!range.contains("fe80::1"))
        #expect(range.description == "fd00::/8")
        let narrow = try #require(CIDR("2001:db8:abcd:12::/63"))
        #expect(narrow.contains("2001:db8:abcd:13:ffff::1"))
        #expect(!narrow.contains("2001:db8:abcd:14::1"))
        // Zones and brackets as they appear in headers and socket addresses.
        #expect(CIDR("fe80::/10")!.contains("fe80::1%eth0"))
        #expect(range.contains("[fd00::5]"))
        // Families never mix.
        #expect(!range.contains("10.0.0.1"))
        #expect(!CIDR("0.0.0.0/0")!.contains("::1"))
        #expect(CIDR("::/0")!.contains("2001:db8::1"))
    }

    @Test func ipv4MappedIPv6AddressesMatchIPv4Ranges() {
        #expect(CIDR("127.0.0.0/8")!.contains("::ffff:127.0.0.1"))
        #expect(!CIDR("10.0.0.0/8")!.contains("::ffff:127.0.0.1"))
    }

    @Test func malformedRangesAndAddressesAreRefused() {
        for text in [
            "", "/8", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0/8", "256.0.0.1", "localhost", "1.2.3.4/8/9", "::g",
        ] {
            #expect(CIDR(text) == nil, "\(text) was accepted")
        }
        #expect(!CIDR("0.0.0.0/0")!.contains("unknown"))
        // Spaces around an entry (as in "a, b") are not part of it.
        #expect(CIDR("0.0.0.0/0")!.contains(" 1.2.3.4 "))
    }
}

@Suite struct ClientAddressTests {
    static let trusted = [CIDR("127.0.0.1")!, CIDR("10.0.0.0/8")!]

    @Test func anUntrustedPeerIsTheClientWhateverItSays() {
        let headers: HTTPFields = [HTTPField.Name("X-Forwarded-For")!: "1.2.3.4"]
        #expect(ClientAddress.resolve(peer: "203.0.113.9", headers: headers, trusted: Self.trusted) == "203.0.113.9")
        #expect(ClientAddress.resolve(peer: "127.0.0.1", headers: headers, trusted: []) == "127.0.0.1")
    }

    @Test func behindTrustedProxiesTheRightMostUntrustedAddressCounts() {
        var headers = HTTPFields()
        // The client forged the first entry; our proxies appended the rest.
        headers.append(HTTPField(name: HTTPField.Name("X-Forwarded-For")!, value: "6.6.6.6, 198.51.100.7"))
        headers.append(HTTPField(name: HTTPField.Name("X-Forwarded-For")!, value: "10.0.0.5"))
        #expect(ClientAddress.resolve(peer: "127.0.0.1", headers: headers, trusted: Self.trusted) == "198.51.100.7")
    }

    @Test func withoutTheHeaderOrWithOnlyProxiesTheLastKnownAddressCounts() {
        #expect(ClientAddress.resolve(peer: "10.0.0.1", headers: [:], trusted: Self.trusted) == "10.0.0.1")
        let proxiesOnly: HTTPFields = [HTTPField.Name("X-Forwarded-For")!: "10.0.0.9, 10.0.0.5"]
        #expect(ClientAddress.resolve(peer: "127.0.0.1", headers: proxiesOnly, trusted: Self.trusted) == "10.0.0.9")
    }

    @Test func aMalformedEntryStopsTheWalk() {
        let headers: HTTPFields = [HTTPField.Name("X-Forwarded-For")!: "198.51.100.7, not-an-address, 10.0.0.5"]
        #expect(ClientAddress.resolve(peer: "127.0.0.1", headers: headers, trusted: Self.trusted) == "10.0.0.5")
        let mapped: HTTPFields = [HTTPField.Name("X-Forwarded-For")!: "::ffff:198.51.100.7"]
        #expect(ClientAddress.resolve(peer: "127.0.0.1", headers: mapped, trusted: Self.trusted) == "198.51.100.7")
        let six: HTTPFields = [HTTPField.Name("X-Forwarded-For")!: "[2001:db8::7]"]
        #expect(ClientAddress.resolve(peer: "::ffff:127.0.0.1", headers: six, trusted: Self.trusted) == "2001:db8::7")
    }
}
