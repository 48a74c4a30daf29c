import TestSupport

/// A self-signed certificate made with openssl, for the TLS tests of the SMTP client.
public enum TestCertificate {
    /// A certificate for `localhost` and 127.0.0.1 (by default) in `directory`; returns (certificate, key) paths.
    public static func make(
        in directory: ScratchDirectory,
        name: String = "server",
        subjectAltName: String = "DNS:localhost,IP:127.0.0.1"
    ) throws -> (certificate: String, key: String) {
        let certificate = directory.path("\(name)-cert.pem")
        let key = directory.path("\(name)-key.pem")
        let made = try Command(
            "/usr/bin/openssl",
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=\(subjectAltName)", "-days", "1", "-keyout", key, "-out", certificate,
            ]
        ).runBlocking()
        guard made.status == 0 else { throw TestSupportError("openssl failed: \(made.error)") }
        return (certificate, key)
    }
}
