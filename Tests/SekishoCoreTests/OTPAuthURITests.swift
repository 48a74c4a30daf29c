import SekishoCore
import TestSupport
import Testing

@Suite struct OTPAuthURITests {
    static let secret = Array("12345678901234567890".utf8)  // base32 GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ

    @Test func writesThePlainCaseWithDefaultsLeftOut() throws {
        let uri = try OTPAuthURI(issuer: "Sekisho", account: "alice", secret: Self.secret)
        #expect(uri.uriString == "otpauth://totp/Sekisho:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Sekisho")
    }

    @Test func percentEncodesUTF8AndReservedCharacters() throws {
        let uri = try OTPAuthURI(issuer: "関所 Demo", account: "山田太郎", secret: Self.secret)
        #expect(
            uri.uriString == "otpauth://totp/%E9%96%A2%E6%89%80%20Demo:%E5%B1%B1%E7%94%B0%E5%A4%AA%E9%83%8E"
                + "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=%E9%96%A2%E6%89%80%20Demo"
        )
        let mail = try OTPAuthURI(issuer: "A&B Co.", account: "alice+x@example.com", secret: [0xFF])
        #expect(mail.uriString == "otpauth://totp/A%26B%20Co.:alice%2Bx%40example.com?secret=74&issuer=A%26B%20Co.")
    }

    @Test func writesNonDefaultParameters() throws {
        let uri = try OTPAuthURI(issuer: "Sekisho", account: "bob", secret: Self.secret, algorithm: .sha256, digits: 8, period: 60)
        #expect(
            uri.uriString
                == "otpauth://totp/Sekisho:bob?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Sekisho&algorithm=SHA256&digits=8&period=60"
        )
        let sha512Only = try OTPAuthURI(issuer: "S", account: "b", secret: [1], algorithm: .sha512)
        #expect(sha512Only.uriString == "otpauth://totp/S:b?secret=AE&issuer=S&algorithm=SHA512")
    }

    @Test func refusesColonsAndEmptyParts() {
        #expect(throws: OTPAuthURIError.colonInIssuer) { try OTPAuthURI(issuer: "Seki:sho", account: "alice", secret: Self.secret) }
        #expect(throws: OTPAuthURIError.colonInAccount) { try OTPAuthURI(issuer: "Sekisho", account: "a:lice", secret: Self.secret) }
        #expect(throws: OTPAuthURIError.emptyIssuer) { try OTPAuthURI(issuer: "", account: "alice", secret: Self.secret) }
        #expect(throws: OTPAuthURIError.emptyAccount) { try OTPAuthURI(issuer: "Sekisho", account: "", secret: Self.secret) }
        #expect(throws: OTPAuthURIError.emptySecret) { try OTPAuthURI(issuer: "Sekisho", account: "alice", secret: []) }
        #expect(throws: OTPAuthURIError.invalidDigits("9")) {
            try OTPAuthURI(issuer: "Sekisho", account: "alice", secret: Self.secret, digits: 9)
        }
        #expect(throws: OTPAuthURIError.invalidPeriod("0")) {
            try OTPAuthURI(issuer: "Sekisho", account: "alice", secret: Self.secret, period: 0)
        }
    }

    @Test func parsesWhatItWrites() throws {
        var rng = SplitMix64(seed: 3)
        let cases = [
            try OTPAuthURI(issuer: "Sekisho", account: "alice", secret: Self.secret),
            try OTPAuthURI(issuer: "関所 Demo", account: "山田太郎", secret: TOTPSecret.generate(using: &rng)),
            try OTPAuthURI(issuer: "A&B Co.", account: "alice+x@example.com", secret: TOTPSecret.generate(byteCount: 20, using: &rng)),
            try OTPAuthURI(issuer: "100% ~sure", account: "a b/c?d#e", secret: [0], algorithm: .sha512, digits: 7, period: 45),
        ]
        for uri in cases {
            #expect(try OTPAuthURI(parsing: uri.uriString) == uri, "\(uri.uriString)")
        }
    }

    @Test func parsesGoogleStyleURIs() throws {
        let parsed = try OTPAuthURI(parsing: "otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example")
        #expect(parsed.issuer == "Example")
        #expect(parsed.account == "alice@google.com")
        #expect(parsed.secret == Array("Hello!\u{DE}\u{AD}\u{BE}\u{EF}".unicodeScalars.map { UInt8($0.value) }))
        #expect(parsed.algorithm == .sha1 && parsed.digits == 6 && parsed.period == 30)

        let noLabelIssuer = try OTPAuthURI(
            parsing: "OTPAUTH://TOTP/bob?issuer=ACME%20Co&secret=jbswy3dpehpk3pxp&algorithm=sha256&digits=8&period=60&image=x"
        )
        #expect(noLabelIssuer.issuer == "ACME Co")
        #expect(noLabelIssuer.account == "bob")
        #expect(noLabelIssuer.algorithm == .sha256 && noLabelIssuer.digits == 8 && noLabelIssuer.period == 60)

        let encodedColon = try OTPAuthURI(parsing: "otpauth://totp/ACME%3Abob?secret=AE")
        #expect(encodedColon.issuer == "ACME" && encodedColon.account == "bob")
    }

    @Test func refusesMalformedURIs() {
        let bad: [(String, OTPAuthURIError)] = [
            ("https://totp/S:a?secret=AE", .notOTPAuth),
            ("otpauth://hotp/S:a?secret=AE&counter=0", .unsupportedType("hotp")),
            ("otpauth://totp/S:a?issuer=S", .missingSecret),
            ("otpauth://totp/S:a?secret=A1&issuer=S", .invalidSecret(.invalidCharacter(offset: 1))),
            ("otpauth://totp/S:a?secret=AE&issuer=T", .issuerMismatch(label: "S", parameter: "T")),
            ("otpauth://totp/S:a?secret=AE&secret=AA", .duplicateParameter("secret")),
            ("otpauth://totp/S:a?secret=AE&algorithm=MD5", .unsupportedAlgorithm("MD5")),
            ("otpauth://totp/S:a?secret=AE&digits=+6", .invalidDigits("+6")),
            ("otpauth://totp/S:a?secret=AE&digits=10", .invalidDigits("10")),
            ("otpauth://totp/S:a?secret=AE&period=-30", .invalidPeriod("-30")),
            ("otpauth://totp/a?secret=AE", .emptyIssuer),
            ("otpauth://totp/S:?secret=AE", .emptyAccount),
            ("otpauth://totp/S:a:b?secret=AE", .colonInAccount),
            ("otpauth://totp/S%ZZ:a?secret=AE", .malformed("invalid percent escape")),
            ("otpauth://totp/S%FF:a?secret=AE", .malformed("not UTF-8")),
        ]
        for (text, expected) in bad {
            #expect(throws: expected, "\(text)") { try OTPAuthURI(parsing: text) }
        }
    }
}
