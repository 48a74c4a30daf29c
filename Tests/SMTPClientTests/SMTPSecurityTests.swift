import Foundation
import Logging
import SMTPClient
import SMTPTesting
import TestSupport
import Testing

/// STARTTLS, implicit TLS and AUTH against a real aiosmtpd server with a certificate made by openssl.
@Suite struct SMTPSecurityTests {
    typealias Support = SMTPClientTestSupport

    @Test(arguments: ["127.0.0.1", "localhost"])
    func requiredSTARTTLSWithTestCA(host: String) async throws {
        try await ScratchDirectory.with("smtp") { directory in
            let (certificate, key) = try TestCertificate.make(in: directory)
            try await SMTPTestServer.with(["--tls-cert", certificate, "--tls-key", key, "--require-starttls"], in: directory) { server in

                let configuration = Support.configuration(
                    port: server.port,
                    host: host,
                    security: .startTLS(required: true),
                    trustRootsFile: certificate
                )
                let delivery = try await SMTPClient(configuration: configuration, logger: Logger(label: "test"))
                    .send(try Support.message(), messageIDDomain: "login.example.org")
                #expect(delivery.usedTLS)
                let mail = try #require(try server.messages().first)
                #expect(mail.tls)
                #expect(mail.subject == "Your sign-in code")
            }
        }
    }

    @Test func requiredSTARTTLSNotOfferedSendsNothing() async throws {
        try await SMTPTestServer.with { server in

            let client = SMTPClient(
                configuration: Support.configuration(port: server.port, security: .startTLS(required: true)),
                logger: Logger(label: "test")
            )
            let error = try #require(await Support.sendExpectingError(client, try Support.message()))
            #expect(error.kind == .startTLSUnavailable)
            #expect(!error.isTransient)
            #expect(try server.messages().isEmpty)
        }
    }

    @Test func opportunisticSTARTTLSFallsBackToPlainText() async throws {
        try await SMTPTestServer.with { server in

            let client = SMTPClient(
                configuration: Support.configuration(port: server.port, security: .startTLS(required: false)),
                logger: Logger(label: "test")
            )
            let delivery = try await client.send(try Support.message(), messageIDDomain: "login.example.org")
            #expect(!delivery.usedTLS)
            #expect(try server.messages().map(\.tls) == [false])
        }
    }

    @Test func opportunisticSTARTTLSUsesTLSWhenOffered() async throws {
        try await ScratchDirectory.with("smtp") { directory in
            let (certificate, key) = try TestCertificate.make(in: directory)
            try await SMTPTestServer.with(["--tls-cert", certificate, "--tls-key", key], in: directory) { server in

                let configuration = Support.configuration(port: server.port, security: .startTLS(required: false), trustRootsFile: certificate)
                let delivery = try await SMTPClient(configuration: configuration, logger: Logger(label: "test"))
                    .send(try Support.message(), messageIDDomain: "login.example.org")
                #expect(delivery.usedTLS)
                #expect(try server.messages().map(\.tls) == [true])
            }
        }
    }

    /// No CA configured (system trust store), a CA that did not sign the certificate, and a name the certificate lacks.
    @Test(arguments: [TrustCase.systemRoots, .otherCA, .wrongName])
    func untrustedCertificateIsPermanentAndSendsNothing(trust: TrustCase) async throws {
        try await ScratchDirectory.with("smtp") { directory in
            // Without an IP entry: NIOSSL accepts a certificate whose IP address entry matches the peer, whatever the name.
            let (certificate, key) = try TestCertificate.make(in: directory, subjectAltName: "DNS:localhost")
            try await SMTPTestServer.with(["--tls-cert", certificate, "--tls-key", key], in: directory) { server in

                var configuration = Support.configuration(port: server.port, security: .startTLS(required: true))
                switch trust {
                case .systemRoots:
                    break
                case .otherCA:
                    configuration.trustRootsFile = try TestCertificate.make(in: directory, name: "other").certificate
                case .wrongName:
                    configuration.trustRootsFile = certificate
                    configuration.tlsServerName = "mail.example.net"
                }
                let client = SMTPClient(configuration: configuration, logger: Logger(label: "test"))
                let error = try #require(await Support.sendExpectingError(client, try Support.message()))
                #expect(error.kind == .tlsFailure, "\(error)")
                #expect(!error.isTransient)
                #expect(try server.messages().isEmpty)
            }
        }
    }

    enum TrustCase: Sendable, CustomTestStringConvertible {
        case systemRoots, otherCA, wrongName
        var testDescription: String { "\(self)" }
    }

    @Test func implicitTLSDelivers() async throws {
        try await ScratchDirectory.with("smtp") { directory in
            let (certificate, key) = try TestCertificate.make(in: directory)
            try await SMTPTestServer.with(
                // aiosmtpd does not count implicit TLS for auth_require_tls, so the script records TLS itself.
                ["--tls-cert", certificate, "--tls-key", key, "--implicit-tls", "--auth-user", "mailer", "--auth-pass", "correct horse"],
                in: directory
            ) { server in

                let configuration = Support.configuration(
                    port: server.port,
                    security: .implicitTLS,
                    credentials: SMTPCredentials(username: "mailer", password: "correct horse"),
                    trustRootsFile: certificate
                )
                let delivery = try await SMTPClient(configuration: configuration, logger: Logger(label: "test"))
                    .send(try Support.message(), messageIDDomain: "login.example.org")
                #expect(delivery.usedTLS)
                #expect(try server.messages().map(\.tls) == [true])
                #expect(try server.authAttempts().map(\.success) == [true])
                #expect(try server.authAttempts().map(\.tls) == [true])
            }
        }
    }

    @Test func implicitTLSWithUntrustedCertificateFails() async throws {
        try await ScratchDirectory.with("smtp") { directory in
            let (certificate, key) = try TestCertificate.make(in: directory)
            try await SMTPTestServer.with(["--tls-cert", certificate, "--tls-key", key, "--implicit-tls"], in: directory) { server in

                let client = SMTPClient(
                    configuration: Support.configuration(port: server.port, security: .implicitTLS),
                    logger: Logger(label: "test")
                )
                let error = try #require(await Support.sendExpectingError(client, try Support.message()))
                #expect(error.kind == .tlsFailure, "\(error)")
                #expect(!error.isTransient)
                #expect(try server.messages().isEmpty)
            }
        }
    }

    @Test(arguments: [SMTPCredentials.Mechanism.plain, .login, .automatic])
    func authenticationSucceedsWithTheRightPassword(mechanism: SMTPCredentials.Mechanism) async throws {
        try await ScratchDirectory.with("smtp") { directory in
            let (certificate, key) = try TestCertificate.make(in: directory)
            try await SMTPTestServer.with(
                [
                    "--tls-cert", certificate, "--tls-key", key, "--require-starttls", "--auth-user", "mailer", "--auth-pass", "pässwörd 秘密",
                    "--auth-require-tls",
                ],
                in: directory
            ) { server in

                let configuration = Support.configuration(
                    port: server.port,
                    security: .startTLS(required: true),
                    credentials: SMTPCredentials(username: "mailer", password: "pässwörd 秘密", mechanism: mechanism),
                    trustRootsFile: certificate
                )
                _ = try await SMTPClient(configuration: configuration, logger: Logger(label: "test")).send(
                    try Support.message(),
                    messageIDDomain: "login.example.org"
                )
                let attempts = try server.authAttempts()
                #expect(attempts.count == 1)
                #expect(attempts.first?.mechanism == (mechanism == .login ? "LOGIN" : "PLAIN"))
                #expect(attempts.first?.login == "mailer")
                #expect(attempts.first?.success == true)
                #expect(attempts.first?.tls == true)
                #expect(try server.messages().count == 1)
            }
        }
    }

    @Test(arguments: [SMTPCredentials.Mechanism.plain, .login])
    func wrongPasswordIsPermanent535(mechanism: SMTPCredentials.Mechanism) async throws {
        try await ScratchDirectory.with("smtp") { directory in
            let (certificate, key) = try TestCertificate.make(in: directory)
            try await SMTPTestServer.with(
                ["--tls-cert", certificate, "--tls-key", key, "--auth-user", "mailer", "--auth-pass", "right", "--auth-require-tls"],
                in: directory
            ) { server in

                let configuration = Support.configuration(
                    port: server.port,
                    security: .startTLS(required: true),
                    credentials: SMTPCredentials(username: "mailer", password: "wrong", mechanism: mechanism),
                    trustRootsFile: certificate
                )
                let client = SMTPClient(configuration: configuration, logger: Logger(label: "test"))
                let error = try #require(await Support.sendExpectingError(client, try Support.message()))
                #expect(error.kind == .authenticationFailed)
                #expect(error.replyCode == 535)
                #expect(!error.isTransient)
                #expect(error.description.contains("535"))
                #expect(!error.description.contains("wrong"))
                #expect(try server.authAttempts().map(\.success) == [false])
                #expect(try server.messages().isEmpty)
            }
        }
    }

    /// The server would accept AUTH in plain text; the client must not offer it unless configured to.
    @Test(arguments: [SMTPSecurity.none, .startTLS(required: false)])
    func credentialsAreNotSentOverPlainText(security: SMTPSecurity) async throws {
        try await SMTPTestServer.with(["--auth-user", "mailer", "--auth-pass", "secret"]) { server in

            let credentials = SMTPCredentials(username: "mailer", password: "secret")
            let refused = SMTPClient(
                configuration: Support.configuration(port: server.port, security: security, credentials: credentials),
                logger: Logger(label: "test")
            )
            let error = try #require(await Support.sendExpectingError(refused, try Support.message()))
            #expect(error.kind == .credentialsRequireTLS)
            #expect(!error.isTransient)
            #expect(try server.authAttempts().isEmpty)
            #expect(try server.messages().isEmpty)

            let allowed = SMTPClient(
                configuration: Support.configuration(
                    port: server.port,
                    security: security,
                    credentials: credentials,
                    allowCredentialsWithoutTLS: true
                ),
                logger: Logger(label: "test")
            )
            let delivery = try await allowed.send(try Support.message(), messageIDDomain: "login.example.org")
            #expect(!delivery.usedTLS)
            #expect(try server.authAttempts().map(\.success) == [true])
            #expect(try server.messages().count == 1)
        }
    }

    @Test func passwordNeverReachesTheLogs() async throws {
        try await SMTPTestServer.with(["--auth-user", "mailer", "--auth-pass", "Sup3rSecret"]) { server in

            let recorder = LogRecorder()
            var logger = Logger(label: "test") { _ in recorder }
            logger.logLevel = .trace
            for mechanism in [SMTPCredentials.Mechanism.plain, .login] {
                let configuration = Support.configuration(
                    port: server.port,
                    credentials: SMTPCredentials(username: "mailer", password: "Sup3rSecret", mechanism: mechanism),
                    allowCredentialsWithoutTLS: true
                )
                _ = try await SMTPClient(configuration: configuration, logger: logger).send(
                    try Support.message(),
                    messageIDDomain: "login.example.org"
                )
            }
            let lines = recorder.lines
            #expect(lines.contains { $0.contains("AUTH PLAIN <redacted>") })
            #expect(lines.contains { $0.contains("C: AUTH LOGIN") })
            let secrets = ["Sup3rSecret", "U3VwM3JTZWNyZXQ=", "AG1haWxlcgBTdXAzclNlY3JldA=="]
            for line in lines {
                for secret in secrets {
                    #expect(!line.contains(secret), "log line leaks the password: \(line)")
                }
            }
        }
    }
}

/// Collects formatted log lines so a test can search them.
final class LogRecorder: LogHandler, @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [String] = []
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    var lines: [String] { self.lock.withLock { self.storage } }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let line = "\(event.level) \(event.message) \(event.metadata ?? [:]) \(self.metadata)"
        self.lock.withLock { self.storage.append(line) }
    }
}
