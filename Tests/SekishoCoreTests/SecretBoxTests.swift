import Crypto
import SekishoCore
import Testing

@Suite struct SecretBoxTests {
    static let keyBytes: [UInt8] = (0..<32).map { UInt8($0) }
    static let context = SealContext(table: "totp_binding", column: "sealed_secret", rowID: "42")
    static let plaintext = Array("GEZDGNBVGY3TQOJQ secret".utf8)

    @Test func roundTrips() throws {
        let box = try SecretBox(keyBytes: Self.keyBytes)
        let sealed = try box.seal(Self.plaintext, context: Self.context)
        #expect(sealed.count == 12 + Self.plaintext.count + 16)
        #expect(try box.open(sealed, context: Self.context) == Self.plaintext)
        #expect(try box.open(try box.seal([], context: Self.context), context: Self.context) == [])
        // Interoperates with plain AES-GCM: nonce || ciphertext || tag, AAD = the context encoding.
        let opened = try AES.GCM.open(
            AES.GCM.SealedBox(combined: sealed),
            using: SymmetricKey(data: Self.keyBytes),
            authenticating: Self.context.associatedData
        )
        #expect(Array(opened) == Self.plaintext)
    }

    @Test func anyTamperedByteFails() throws {
        let box = try SecretBox(keyBytes: Self.keyBytes)
        let sealed = try box.seal(Self.plaintext, context: Self.context)
        for index in sealed.indices {
            var tampered = sealed
            tampered[index] ^= 0x01
            #expect(throws: SecretBoxError.authenticationFailed, "byte \(index)") { try box.open(tampered, context: Self.context) }
        }
    }

    @Test func valueMovedToAnotherCellFails() throws {
        let box = try SecretBox(keyBytes: Self.keyBytes)
        let sealed = try box.seal(Self.plaintext, context: Self.context)
        let elsewhere = [
            SealContext(table: "totp_binding", column: "sealed_secret", rowID: "43"),
            SealContext(table: "totp_binding", column: "other_secret", rowID: "42"),
            SealContext(table: "setting", column: "sealed_secret", rowID: "42"),
            // Same characters, split differently: the encoding must tell these apart.
            SealContext(table: "totp_binding", column: "sealed_secret4", rowID: "2"),
            SealContext(table: "totp_bindingsealed_secret", column: "", rowID: "42"),
        ]
        for context in elsewhere {
            #expect(context.associatedData != Self.context.associatedData)
            #expect(throws: SecretBoxError.authenticationFailed, "\(context)") { try box.open(sealed, context: context) }
        }
    }

    @Test func sealingTwiceGivesDifferentOutput() throws {
        let box = try SecretBox(keyBytes: Self.keyBytes)
        let first = try box.seal(Self.plaintext, context: Self.context)
        let second = try box.seal(Self.plaintext, context: Self.context)
        #expect(first != second)
        #expect(first.prefix(12) != second.prefix(12), "nonces must differ")
    }

    @Test func wrongKeyFails() throws {
        let sealed = try SecretBox(keyBytes: Self.keyBytes).seal(Self.plaintext, context: Self.context)
        let other = SecretBox(key: SymmetricKey(size: .bits256))
        #expect(throws: SecretBoxError.authenticationFailed) { try other.open(sealed, context: Self.context) }
    }

    @Test func truncatedInputFailsWithAnError() throws {
        let box = try SecretBox(keyBytes: Self.keyBytes)
        let sealed = try box.seal(Self.plaintext, context: Self.context)
        for length in 0..<28 {
            #expect(throws: SecretBoxError.truncated(length)) { try box.open(Array(sealed.prefix(length)), context: Self.context) }
        }
        for length in 28..<sealed.count {
            #expect(throws: SecretBoxError.authenticationFailed) { try box.open(Array(sealed.prefix(length)), context: Self.context) }
        }
    }

    @Test func refusesKeysOfTheWrongLength() {
        #expect(throws: SecretBoxError.invalidKeyLength(16)) { try SecretBox(keyBytes: Array(repeating: 0, count: 16)) }
        #expect(throws: SecretBoxError.invalidKeyLength(0)) { try SecretBox(keyBytes: []) }
    }

    @Test func subkeysAreHKDFPerPurpose() throws {
        let box = try SecretBox(keyBytes: Self.keyBytes)
        let recovery = box.subkey(purpose: "recovery-codes")
        #expect(recovery.bitCount == 256)
        let bytes = recovery.withUnsafeBytes { Array($0) }
        #expect(bytes == box.subkey(purpose: "recovery-codes").withUnsafeBytes { Array($0) })
        #expect(bytes != box.subkey(purpose: "sessions").withUnsafeBytes { Array($0) })
        #expect(bytes != Self.keyBytes)
        let reference = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: Self.keyBytes),
            info: Array("sekisho/recovery-codes".utf8),
            outputByteCount: 32
        )
        #expect(bytes == reference.withUnsafeBytes { Array($0) })
    }
}
