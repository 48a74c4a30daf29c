import CArgon2

/// Synchronous Argon2id hashing and verification over libargon2, producing PHC strings.
///
/// These calls block the calling thread for as long as the cost parameters demand (tens of
/// milliseconds at the defaults); servers should use ``Argon2PasswordHasher``, which runs them on a
/// thread pool with a bound on how many run at once.
public enum Argon2id {
    /// Length of the raw hash inside the PHC string, in bytes.
    public static let hashLength: UInt32 = 32
    /// Length of the salt ``Argon2PasswordHasher`` generates, in bytes.
    public static let saltLength = 16

    /// Hashes `password` with `salt` and returns a PHC string.
    ///
    /// ```
    /// $argon2id$v=19$m=19456,t=2,p=1$<salt, base64 without padding>$<32-byte hash, base64 without padding>
    /// ```
    /// - Throws: ``Argon2Error`` if libargon2 rejects the input (for example a salt shorter than 8 bytes,
    ///   or memory below 8 KiB per lane).
    public static func hash(password: [UInt8], salt: [UInt8], parameters: Argon2Parameters) throws -> String {
        let length = argon2_encodedlen(
            parameters.iterations,
            parameters.memoryKiB,
            parameters.parallelism,
            UInt32(clamping: salt.count),
            Self.hashLength,
            Argon2_id
        )
        // argon2_encodedlen already counts the terminating NUL.
        var buffer = [CChar](repeating: 0, count: length)
        let result = password.withUnsafeBytes { passwordBytes in
            salt.withUnsafeBytes { saltBytes in
                buffer.withUnsafeMutableBufferPointer { encoded in
                    argon2id_hash_encoded(
                        parameters.iterations,
                        parameters.memoryKiB,
                        parameters.parallelism,
                        passwordBytes.baseAddress,
                        passwordBytes.count,
                        saltBytes.baseAddress,
                        saltBytes.count,
                        Int(Self.hashLength),
                        encoded.baseAddress,
                        encoded.count
                    )
                }
            }
        }
        guard result == ARGON2_OK.rawValue else {
            throw Argon2Error(code: result)
        }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Checks `password` against a PHC string made by ``hash(password:salt:parameters:)``.
    ///
    /// Returns `false` for a wrong password and also for anything libargon2 cannot decode (a malformed
    /// or non-Argon2id string), so a corrupt stored hash never signs anyone in.
    ///
    /// - Throws: ``Argon2Error`` when the machine could not do the work (no memory for the
    ///   parameters, no thread for a lane): that says nothing about the password, and reading it
    ///   as "wrong" would count a failed sign-in against the user.
    public static func verify(password: [UInt8], encoded: String) throws(Argon2Error) -> Bool {
        // An embedded NUL would silently truncate the C string libargon2 sees.
        guard !encoded.utf8.contains(0), Self.parameters(of: encoded) != nil else {
            return false
        }
        let result = password.withUnsafeBytes { passwordBytes in
            encoded.withCString { encodedPointer in
                argon2id_verify(encodedPointer, passwordBytes.baseAddress, passwordBytes.count)
            }
        }
        let error = Argon2Error(code: result)
        if error.isResourceExhaustion { throw error }
        return result == ARGON2_OK.rawValue
    }

    /// The cost parameters stored in an Argon2id PHC string.
    ///
    /// Returns `nil` unless the string is `$argon2id$v=19$m=…,t=…,p=…$salt$hash` with base64 salt and hash,
    /// so anything else (another variant, an older version, garbage) reads as "needs re-hashing".
    public static func parameters(of encoded: String) -> Argon2Parameters? {
        let fields = encoded.split(separator: "$", omittingEmptySubsequences: false)
        guard fields.count == 6, fields[0].isEmpty, fields[1] == "argon2id", fields[2] == "v=19" else {
            return nil
        }
        let costs = fields[3].split(separator: ",", omittingEmptySubsequences: false)
        guard costs.count == 3,
            let memory = Self.cost(costs[0], named: "m"),
            let iterations = Self.cost(costs[1], named: "t"),
            let parallelism = Self.cost(costs[2], named: "p"),
            Self.isBase64(fields[4]), Self.isBase64(fields[5])
        else {
            return nil
        }
        return Argon2Parameters(memoryKiB: memory, iterations: iterations, parallelism: parallelism)
    }

    /// Parses `name=digits` into a positive UInt32, rejecting signs, spaces and leading zeros as libargon2 does.
    private static func cost(_ field: Substring, named name: String) -> UInt32? {
        guard field.hasPrefix(name + "=") else {
            return nil
        }
        let digits = field.dropFirst(name.count + 1)
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), digits.first != "0" || digits.count == 1,
            let value = UInt32(digits), value > 0
        else {
            return nil
        }
        return value
    }

    /// Whether `field` is non-empty unpadded standard base64, the alphabet libargon2 writes.
    private static func isBase64(_ field: Substring) -> Bool {
        !field.isEmpty
            && field.utf8.allSatisfy { byte in
                (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "/")
            }
    }
}
