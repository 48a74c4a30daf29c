import SNTPClient
import Testing

@Suite struct SNTPServerTests {
    @Test(arguments: [
        ("pool.ntp.org", "pool.ntp.org", 123),
        ("time.example.com:1123", "time.example.com", 1123),
        ("192.0.2.7", "192.0.2.7", 123),
        ("192.0.2.7:10123", "192.0.2.7", 10123),
        ("[2001:db8::1]:10123", "2001:db8::1", 10123),
        ("[::1]", "::1", 123),
        ("::1", "::1", 123),
        ("  ntp.example.net  ", "ntp.example.net", 123),
    ])
    func parses(text: String, host: String, port: Int) throws {
        let server = try #require(SNTPServer(parsing: text))
        #expect(server.host == host)
        #expect(server.port == port)
    }

    @Test(arguments: ["", ":123", "host:", "host:0", "host:65536", "host:12x", "[::1", "[::1]x", "[]:123", "a b"])
    func rejects(text: String) {
        #expect(SNTPServer(parsing: text) == nil)
    }

    @Test func descriptionRoundTrips() throws {
        for server in [
            SNTPServer(host: "pool.ntp.org"), SNTPServer(host: "10.0.0.1", port: 4123), SNTPServer(host: "2001:db8::1", port: 4123),
            SNTPServer(host: "::1"),
        ] {
            #expect(SNTPServer(parsing: server.description) == server)
        }
        #expect(SNTPServer(host: "2001:db8::1", port: 4123).description == "[2001:db8::1]:4123")
        #expect(SNTPServer(host: "pool.ntp.org").description == "pool.ntp.org")
    }
}
