import Foundation
import SekishoCore
import TestSupport
import Testing

@Suite("Argon2id")
struct Argon2idTests {
    private static let small = Argon2Parameters(memoryKiB: 1024, iterations: 2, parallelism: 1)

    @Test("matches the reference argon2 CLI's output, fixed once")
    func knownAnswer() throws {
        // `echo -n password | argon2 somesaltsomesalt -id -t 2 -m 10 -p 1 -l 32 -e` (Debian argon2 0~20171227).
        let encoded = try Argon2id.hash(password: Array("password".utf8), salt: Array("somesaltsomesalt".utf8), parameters: Self.small)
        #expect(encoded == "$argon2id$v=19$m=1024,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$CKGe5/bX9YnCq2rxjW5yQXKxn31v1GKzhDCrMc6r6vA")
    }

    @Test(
        "matches the argon2 CLI run now",
        arguments: [
            ("password", "somesaltsomesalt", 2 as UInt32, 10 as UInt32, 1 as UInt32),
            ("correct horse battery staple", "0123456789abcdef", 3, 11, 2),
            ("pässwörd 関所", "saltsaltsaltsalt", 1, 12, 4),
            ("x", "8bytesal", 2, 10, 1),
        ]
    )
    func crossCheckWithCLI(password: String, salt: String, iterations: UInt32, log2Memory: UInt32, lanes: UInt32) throws {
        // CI must install Debian's `argon2` package for this test.
        let cli = try Command(
            "argon2",
            [salt, "-id", "-t", "\(iterations)", "-m", "\(log2Memory)", "-p", "\(lanes)", "-l", "32", "-e"],
            input: password
        ).runBlocking()
        #expect(cli.status == 0, "argon2 CLI failed: \(cli.error)")
        let parameters = Argon2Parameters(memoryKiB: 1 << log2Memory, iterations: iterations, parallelism: lanes)
        let ours = try Argon2id.hash(password: Array(password.utf8), salt: Array(salt.utf8), parameters: parameters)
        #expect(ours == cli.output.trimmingCharacters(in: .newlines))
        #expect(try Argon2id.verify(password: Array(password.utf8), encoded: ours))
    }

    @Test("the default parameters give m=19456,t=2,p=1 with a 16-byte salt and 32-byte hash")
    func defaults() throws {
        let salt = [UInt8](repeating: 7, count: Argon2id.saltLength)
        let encoded = try Argon2id.hash(password: Array("hunter22".utf8), salt: salt, parameters: .default)
        #expect(encoded.hasPrefix("$argon2id$v=19$m=19456,t=2,p=1$"))
        let fields = encoded.split(separator: "$")
        #expect(fields.count == 5)
        // Unpadded base64: 16 bytes -> 22 characters, 32 bytes -> 43 characters.
        #expect(fields[3].count == 22)
        #expect(fields[4].count == 43)
        #expect(Argon2id.parameters(of: encoded) == .default)
        #expect(try Argon2id.verify(password: Array("hunter22".utf8), encoded: encoded))
        #expect(try !Argon2id.verify(password: Array("hunter23".utf8), encoded: encoded))
    }

    @Test("verify accepts the right password and rejects others")
    func verifyTrueAndFalse() throws {
        let encoded = try Argon2id.hash(password: Array("right".utf8), salt: Array("0123456789abcdef".utf8), parameters: Self.small)
        #expect(try Argon2id.verify(password: Array("right".utf8), encoded: encoded))
        #expect(try !Argon2id.verify(password: Array("wrong".utf8), encoded: encoded))
        #expect(try !Argon2id.verify(password: Array("right ".utf8), encoded: encoded))
        #expect(try !Argon2id.verify(password: [], encoded: encoded))
    }

    @Test(
        "malformed or foreign strings verify as false and have no parameters",
        arguments: [
            "",
            "$",
            "not a hash",
            "$argon2id$",
            "$argon2id$v=19$m=1024,t=2,p=1$c29tZXNhbHRzb21lc2FsdA",
            "$argon2id$v=19$m=1024,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$",
            "$argon2id$v=19$m=1024,t=2$c29tZXNhbHRzb21lc2FsdA$CKGe5/bX9YnCq2rxjW5yQXKxn31v1GKzhDCrMc6r6vA",
            "$argon2id$v=19$m=-1,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$CKGe5/bX9YnCq2rxjW5yQXKxn31v1GKzhDCrMc6r6vA",
            "$argon2id$v=19$m=99999999999,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$CKGe5/bX9YnCq2rxjW5yQXKxn31v1GKzhDCrMc6r6vA",
            "$argon2id$v=19$m=1024,t=0,p=1$c29tZXNhbHRzb21lc2FsdA$CKGe5/bX9YnCq2rxjW5yQXKxn31v1GKzhDCrMc6r6vA",
            "$argon2id$v=19$m=1024,t=2,p=1$c29tZXNh!!!zb21lc2FsdA$CKGe5/bX9YnCq2rxjW5yQXKxn31v1GKzhDCrMc6r6vA",
            "$argon2id$v=19$m=1024,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$CKGe5/bX9YnCq2rxjW5yQXKxn31v1GKzhDCrMc6r6vA$extra",
            "$argon2id$v=16$m=1024,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$CKGe5/bX9YnCq2rxjW5yQXKxn31v1GKzhDCrMc6r6vA",
            "$argon2i$v=19$m=1024,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$CKGe5/bX9YnCq2rxjW5yQXKxn31v1GKzhDCrMc6r6vA",
            "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
            "$argon2id$v=19$m=1024,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$CKGe5/bX9YnCq2rxjW5yQXKxn31v1GKzhDCrMc6r6vA\u{0}x",
        ]
    )
    func malformed(encoded: String) throws {
        #expect(try !Argon2id.verify(password: Array("password".utf8), encoded: encoded))
        #expect(Argon2id.parameters(of: encoded) == nil)
    }

    @Test("a valid but truncated hash is a mismatch, not a crash")
    func shortenedHash() throws {
        let encoded = try Argon2id.hash(password: Array("password".utf8), salt: Array("somesaltsomesalt".utf8), parameters: Self.small)
        let shortened = String(encoded.dropLast(4))
        #expect(Argon2id.parameters(of: shortened) == Self.small)
        #expect(try !Argon2id.verify(password: Array("password".utf8), encoded: shortened))
    }

    @Test("parameters are read back from the PHC string")
    func parametersRoundTrip() throws {
        let parameters = Argon2Parameters(memoryKiB: 2048, iterations: 3, parallelism: 2)
        let encoded = try Argon2id.hash(password: Array("x".utf8), salt: Array("saltsaltsaltsalt".utf8), parameters: parameters)
        #expect(encoded.hasPrefix("$argon2id$v=19$m=2048,t=3,p=2$"))
        #expect(Argon2id.parameters(of: encoded) == parameters)
    }

    @Test("libargon2 rejections surface as Argon2Error with its message")
    func errors() {
        // libargon2 requires at least 8 bytes of salt (ARGON2_SALT_TOO_SHORT = -6).
        #expect {
            try Argon2id.hash(password: Array("password".utf8), salt: Array("short".utf8), parameters: Self.small)
        } throws: { error in
            guard let error = error as? Argon2Error else { return false }
            return error.code == -6 && error.message == "Salt is too short" && error.description.contains("Salt is too short")
        }
        // And at least 8 KiB per lane (ARGON2_MEMORY_TOO_LITTLE = -14).
        #expect(throws: Argon2Error(code: -14)) {
            try Argon2id.hash(
                password: Array("password".utf8),
                salt: Array("somesaltsomesalt".utf8),
                parameters: Argon2Parameters(memoryKiB: 8, iterations: 1, parallelism: 4)
            )
        }
    }

    /// No memory for the stored parameters is not a wrong password: it is an error, so that the
    /// sign-in gets a 503 instead of counting as a failure against the user.
    @Test func verificationWithoutMemoryThrowsInsteadOfSayingWrong() throws {
        // 4 TiB of memory: more than any machine here can allocate.
        let encoded = "$argon2id$v=19$m=4294967295,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$" + String(repeating: "A", count: 43)
        let error = try #require(throws: Argon2Error.self) { try Argon2id.verify(password: Array("password".utf8), encoded: encoded) }
        #expect(error.isResourceExhaustion)
    }
}
