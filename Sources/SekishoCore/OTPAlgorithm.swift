/// The HMAC hash function behind HOTP and TOTP codes.
///
/// The raw values are the spelling of the `algorithm` parameter in `otpauth://` URIs.
public enum OTPAlgorithm: String, Sendable, CaseIterable, Codable {
    case sha1 = "SHA1"
    case sha256 = "SHA256"
    case sha512 = "SHA512"
}
