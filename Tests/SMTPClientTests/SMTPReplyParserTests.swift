import Testing

@testable import SMTPClient

@Suite struct SMTPReplyParserTests {
    private func parse(_ lines: [String]) throws -> [SMTPReply] {
        var parser = SMTPReplyParser()
        var replies: [SMTPReply] = []
        for line in lines {
            if let reply = try parser.feed(line: Array(line.utf8)) {
                replies.append(reply)
            }
        }
        #expect(!parser.hasPartialReply)
        return replies
    }

    @Test func parsesMultiLineEHLOReply() throws {
        let replies = try self.parse(["250-mail.example.com Hello", "250-SIZE 1048576", "250-AUTH PLAIN LOGIN", "250-STARTTLS", "250 8BITMIME"])
        let reply = try #require(replies.first)
        #expect(replies.count == 1)
        #expect(reply.code == 250)
        #expect(reply.lines == ["mail.example.com Hello", "SIZE 1048576", "AUTH PLAIN LOGIN", "STARTTLS", "8BITMIME"])
        let capabilities = SMTPServerCapabilities(ehloReply: reply)
        #expect(capabilities.startTLS)
        #expect(capabilities.authMechanisms == ["PLAIN", "LOGIN"])
        #expect(capabilities.sizeLimit == 1_048_576)
        #expect(capabilities.eightBitMIME)
    }

    @Test func parsesBareCodeAndOldStyleAuth() throws {
        let replies = try self.parse(["354", "250-x", "250-AUTH=LOGIN", "250 SIZE 0"])
        #expect(replies.map(\.code) == [354, 250])
        let capabilities = SMTPServerCapabilities(ehloReply: replies[1])
        #expect(capabilities.authMechanisms == ["LOGIN"])
        #expect(capabilities.sizeLimit == nil)
        #expect(!capabilities.startTLS)
    }

    @Test(arguments: ["", "25", "2x0 OK", "250:OK", "650 nope", "HTTP/1.1 400 Bad Request"])
    func refusesMalformedLines(line: String) {
        var parser = SMTPReplyParser()
        #expect(throws: SMTPError.self) { try parser.feed(line: Array(line.utf8)) }
    }

    @Test func refusesCodeChangeInsideMultiLineReply() throws {
        var parser = SMTPReplyParser()
        _ = try parser.feed(line: Array("250-first".utf8))
        let error = try #require(throws: SMTPError.self) { try parser.feed(line: Array("550 second".utf8)) }
        #expect(error.kind == .protocolViolation)
    }

    @Test func replacesControlCharactersInServerText() throws {
        let reply = try #require(try self.parse(["550 bad\u{1B}[31m text\u{7}"]).first)
        #expect(reply.text == "bad?[31m text?")
        #expect(reply.description == "550 bad?[31m text?")
    }

    @Test func dotStuffsAndTerminatesData() {
        let encoded = SMTPDataEncoder.encode(Array(".hidden\n..two\r\nmiddle.\rend".utf8))
        #expect(String(decoding: encoded, as: UTF8.self) == "..hidden\r\n...two\r\nmiddle.\r\nend\r\n.\r\n")
        let alreadyTerminated = SMTPDataEncoder.encode(Array("line\r\n".utf8))
        #expect(String(decoding: alreadyTerminated, as: UTF8.self) == "line\r\n.\r\n")
        #expect(String(decoding: SMTPDataEncoder.encode(Array(".".utf8)), as: UTF8.self) == "..\r\n.\r\n")
    }

    @Test func base64MatchesRFC4648Vectors() {
        let vectors = ["": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==", "fooba": "Zm9vYmE=", "foobar": "Zm9vYmFy"]
        for (input, output) in vectors {
            #expect(Base64.encode(Array(input.utf8)) == output)
        }
    }
}
