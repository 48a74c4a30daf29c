/// How a session was signed in, in the method names of RFC 8176, recorded with the session and
/// reported by the OpenID provider as `amr` (and, through ``isMultiFactor(_:)``, as `acr`).
enum SignInMethods {
    /// The password alone: two-factor is off for the account.
    static let password = ["pwd"]
    /// The password and a one-time code: an authenticator app's, or a recovery code.
    static let passwordAndCode = ["pwd", "otp", "mfa"]
    /// The password in a browser remembered after a code: the browser's long-lived key stands in
    /// for the code.
    static let passwordInRememberedBrowser = ["pwd", "swk", "mfa"]
    /// The password and a passkey or security key.
    static let passwordAndPasskey = ["pwd", "hwk", "mfa"]
    /// A discoverable passkey alone, accepted only when the authenticator verified the user
    /// (a PIN or biometrics on the device): possession and verification are two factors.
    static let passkeyWithUserVerification = ["hwk", "user", "mfa"]

    /// OpenID grants made before sessions recorded their methods say `pwd otp`, without `mfa`.
    static func isMultiFactor(_ methods: [String]) -> Bool { methods.contains("mfa") || methods.contains("otp") }
}
