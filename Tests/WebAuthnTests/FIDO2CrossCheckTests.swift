import Foundation
import TestSupport
import Testing
import WebAuthn

/// The same ceremonies judged by Yubico's python-fido2 and by Sekisho: made by fido2's own code
/// (Tests/webauthn/fido2_crosscheck.py) for ES256, EdDSA and RS256 credentials, one valid and one
/// breaking each rule, and Sekisho must accept exactly what fido2 accepts.
@Suite struct FIDO2CrossCheckTests {
    @Test func sekishoAndPythonFIDO2ReachTheSameVerdicts() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let output = try await Command("/usr/bin/python3", [root + "/Tests/webauthn/fido2_crosscheck.py"], timeout: .seconds(120)).run()
        try #require(output.status == 0, "\(output)")
        let ceremonies = try #require(try JSONSerialization.jsonObject(with: Data(output.output.utf8)) as? [[String: Any]])
        #expect(ceremonies.count == 45)
        let party = RelyingParty(id: "login.example.com", origins: ["https://login.example.com"])
        var accepted = 0
        for ceremony in ceremonies {
            func bytes(_ key: String) throws -> [UInt8] { try #require(Base64URL.decode(ceremony[key] as? String ?? "!")) }
            let name = "\(ceremony["kind"] ?? "") \(ceremony["alg"] ?? "") \(ceremony["name"] ?? "")"
            let requireUV = ceremony["requireUV"] as? Bool ?? false
            let ours: String
            do {
                if ceremony["kind"] as? String == "registration" {
                    let registration = try party.verifyRegistration(
                        clientDataJSON: try bytes("clientDataJSON"),
                        attestationObject: try bytes("attestationObject"),
                        challenge: try bytes("challenge"),
                        requireUserVerification: requireUV
                    )
                    #expect(registration.credentialID == (try bytes("credentialID")), "\(name)")
                } else {
                    _ = try party.verifyAssertion(
                        clientDataJSON: try bytes("clientDataJSON"),
                        authenticatorData: try bytes("authenticatorData"),
                        signature: try bytes("signature"),
                        challenge: try bytes("challenge"),
                        publicKeyCBOR: try bytes("publicKey"),
                        storedSignCount: UInt32(ceremony["storedSignCount"] as? Int ?? 0),
                        requireUserVerification: requireUV
                    )
                }
                ours = "accepted"
                accepted += 1
            } catch let error as WebAuthnError {
                ours = "refused: \(error)"
            }
            let theirs = ceremony["fido2"] as? String ?? ""
            #expect((ours == "accepted") == (theirs == "accepted"), "\(name): Sekisho \(ours); python-fido2 \(theirs)")
        }
        #expect(accepted == 6, "a valid registration and assertion for each of the three algorithms")
    }
}
