import Logging
import NIOCore
import NIOSSL
import Synchronization

/// One SMTP session over an open connection, step by step, each step under its own timeout.
struct SMTPConversation {
    private let channel: any Channel
    private var inbound: NIOAsyncChannelInboundStream<SMTPReply>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private let configuration: SMTPConfiguration
    private let tlsContext: NIOSSLContext?
    private let logger: Logger
    private var usesTLS = false
    /// Replies read so far; compared with ``SMTPReplyHandler/repliesEmitted`` before STARTTLS.
    private var repliesConsumed = 0

    init(
        channel: any Channel,
        inbound: NIOAsyncChannelInboundStream<SMTPReply>.AsyncIterator,
        outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>,
        configuration: SMTPConfiguration,
        tlsContext: NIOSSLContext?,
        logger: Logger
    ) {
        self.channel = channel
        self.inbound = inbound
        self.outbound = outbound
        self.configuration = configuration
        self.tlsContext = tlsContext
        self.logger = logger
    }

    static let credentialsRequireTLSError = SMTPError(
        kind: .credentialsRequireTLS,
        detail: "refusing to send SMTP credentials over a connection without TLS (allowCredentialsWithoutTLS is off)",
        isTransient: false
    )

    /// The name for SNI and certificate checks; nil for an IP address, which NIOSSL then checks against the peer address.
    static func tlsServerName(_ configuration: SMTPConfiguration) -> String? {
        let name = configuration.tlsServerName ?? configuration.host
        if (try? SocketAddress(ipAddress: name, port: 0)) != nil {
            return nil
        }
        return name
    }

    /// Runs the whole session; returns the reply to the end of DATA and whether TLS was used.
    mutating func run(envelope: SMTPEnvelope) async throws(SMTPError) -> (SMTPReply, Bool) {
        // With implicit TLS a handshake failure is what this first read reports.
        let greeting = try await self.exchange(nil, step: self.configuration.security == .implicitTLS ? "TLS handshake and greeting" : "greeting")
        self.usesTLS = self.configuration.security == .implicitTLS
        guard greeting.code == 220 else {
            throw greeting.isPositiveCompletion || greeting.isPositiveIntermediate
                ? .protocolViolation("unexpected greeting", reply: greeting, step: "connect") : .rejected(greeting, step: "connect")
        }
        do {
            let reply = try await self.transaction(envelope: envelope)
            await self.quit()
            return (reply, self.usesTLS)
        } catch {
            // After a refusal the connection is still in step, so end it politely; after I/O errors there is no point.
            if error.reply != nil || error.kind == .credentialsRequireTLS || error.kind == .authenticationUnavailable
                || error.kind == .startTLSUnavailable || error.kind == .messageTooLarge
            {
                await self.quit()
            }
            throw error
        }
    }

    private mutating func transaction(envelope: SMTPEnvelope) async throws(SMTPError) -> SMTPReply {
        var capabilities = try await self.hello(step: "EHLO")
        if case .startTLS(let required) = self.configuration.security {
            if capabilities.startTLS {
                let reply = try await self.exchange("STARTTLS", step: "STARTTLS")
                if reply.code == 220 {
                    try await self.upgradeToTLS()
                    capabilities = try await self.hello(step: "TLS handshake and EHLO")
                } else if required {
                    throw SMTPError(
                        kind: .startTLSUnavailable,
                        detail: "server refused STARTTLS",
                        reply: reply,
                        step: "STARTTLS",
                        isTransient: reply.isTransientNegative
                    )
                } else {
                    self.logger.warning("server refused STARTTLS; continuing without TLS", metadata: ["smtp.reply": "\(reply)"])
                }
            } else if required {
                throw SMTPError(
                    kind: .startTLSUnavailable,
                    detail: "server does not offer STARTTLS, which the configuration requires",
                    step: "EHLO",
                    isTransient: false
                )
            } else {
                self.logger.warning("server does not offer STARTTLS; continuing without TLS")
            }
        }
        if let credentials = self.configuration.credentials {
            try await self.authenticate(credentials, capabilities: capabilities)
        }
        if let limit = capabilities.sizeLimit, envelope.messageSize > limit {
            throw SMTPError(
                kind: .messageTooLarge,
                detail: "message of \(envelope.messageSize) bytes exceeds the server's SIZE limit of \(limit) bytes",
                isTransient: false
            )
        }
        let sizeParameter = capabilities.sizeLimit != nil ? " SIZE=\(envelope.messageSize)" : ""
        try await self.expect(250, for: "MAIL FROM:<\(envelope.from)>\(sizeParameter)", step: "MAIL FROM")
        for recipient in envelope.recipients {
            let reply = try await self.exchange("RCPT TO:<\(recipient)>", step: "RCPT TO")
            guard reply.code == 250 || reply.code == 251 else {
                throw Self.unexpected(reply, step: "RCPT TO")
            }
        }
        try await self.expect(354, for: "DATA", step: "DATA")
        let reply = try await self.exchange(
            bytes: envelope.data,
            logLine: "<\(envelope.data.count) bytes of message data>",
            step: "end of DATA",
            timeout: self.configuration.timeouts.dataEnd
        )
        guard reply.code == 250 else {
            throw Self.unexpected(reply, step: "end of DATA")
        }
        return reply
    }

    /// EHLO, falling back to HELO when the server refuses EHLO permanently (RFC 5321 section 3.2).
    private mutating func hello(step: String) async throws(SMTPError) -> SMTPServerCapabilities {
        let reply = try await self.exchange("EHLO \(self.configuration.heloName)", step: step)
        if reply.code == 250 {
            return SMTPServerCapabilities(ehloReply: reply)
        }
        guard reply.isPermanentNegative else {
            throw Self.unexpected(reply, step: "EHLO")
        }
        try await self.expect(250, for: "HELO \(self.configuration.heloName)", step: "HELO")
        return SMTPServerCapabilities()
    }

    /// Puts TLS under the reply handler; the handshake runs when the next command (EHLO) is written, and its
    /// failure surfaces when that command's reply is read.
    private mutating func upgradeToTLS() async throws(SMTPError) {
        guard let tlsContext = self.tlsContext else {
            throw SMTPError(kind: .invalidConfiguration, detail: "no TLS context", isTransient: false)
        }
        let consumed = self.repliesConsumed
        let serverName = Self.tlsServerName(self.configuration)
        let channel = self.channel
        do {
            try await channel.eventLoop.submit {
                // Anything the server sent after its 220 arrived in plain text and could be injected; refuse it.
                let replyHandler = try channel.pipeline.syncOperations.handler(type: SMTPReplyHandler.self)
                guard replyHandler.repliesEmitted == consumed, !replyHandler.hasUnprocessedInput else {
                    throw SMTPError.protocolViolation("server sent data after its STARTTLS reply", step: "STARTTLS")
                }
                try channel.pipeline.syncOperations.addHandler(
                    NIOSSLClientHandler(context: tlsContext, serverHostname: serverName),
                    position: .first
                )
            }.get()
        } catch {
            throw SMTPError.wrapping(error, step: "STARTTLS")
        }
        self.usesTLS = true
        self.logger.debug("STARTTLS: TLS handler installed")
    }

    private mutating func authenticate(_ credentials: SMTPCredentials, capabilities: SMTPServerCapabilities) async throws(SMTPError) {
        guard self.usesTLS || self.configuration.allowCredentialsWithoutTLS else {
            throw Self.credentialsRequireTLSError
        }
        let offered = capabilities.authMechanisms
        let usePlain: Bool
        switch credentials.mechanism {
        case .plain where offered.contains("PLAIN"): usePlain = true
        case .login where offered.contains("LOGIN"): usePlain = false
        case .automatic where offered.contains("PLAIN"): usePlain = true
        case .automatic where offered.contains("LOGIN"): usePlain = false
        default:
            let list = offered.isEmpty ? "none" : offered.sorted().joined(separator: " ")
            throw SMTPError(
                kind: .authenticationUnavailable,
                detail: "server offers no usable AUTH mechanism for \(credentials.mechanism) (offered: \(list))",
                step: "EHLO",
                isTransient: false
            )
        }
        let username = Array(credentials.username.utf8)
        let password = Array(credentials.password.utf8)
        let reply: SMTPReply
        if usePlain {
            guard !username.contains(0), !password.contains(0) else {
                throw SMTPError(kind: .invalidConfiguration, detail: "AUTH PLAIN cannot carry a NUL in user name or password", isTransient: false)
            }
            let response = Base64.encode([0] + username + [0] + password)
            reply = try await self.exchange("AUTH PLAIN \(response)", logLine: "AUTH PLAIN <redacted>", step: "AUTH PLAIN")
        } else {
            let first = try await self.exchange("AUTH LOGIN", step: "AUTH LOGIN")
            guard first.code == 334 else {
                throw Self.authenticationError(first)
            }
            let second = try await self.exchange(Base64.encode(username), logLine: "<user name>", step: "AUTH LOGIN")
            guard second.code == 334 else {
                throw Self.authenticationError(second)
            }
            reply = try await self.exchange(Base64.encode(password), logLine: "<redacted>", step: "AUTH LOGIN")
        }
        guard reply.code == 235 else {
            throw Self.authenticationError(reply)
        }
        self.logger.debug("authenticated", metadata: ["smtp.user": "\(credentials.username)"])
    }

    private static func authenticationError(_ reply: SMTPReply) -> SMTPError {
        SMTPError(
            kind: reply.isTransientNegative || reply.isPermanentNegative ? .authenticationFailed : .protocolViolation,
            detail: "authentication failed",
            reply: reply,
            step: "AUTH",
            isTransient: reply.isTransientNegative
        )
    }

    private static func unexpected(_ reply: SMTPReply, step: String) -> SMTPError {
        if reply.isTransientNegative || reply.isPermanentNegative {
            return .rejected(reply, step: step)
        }
        return .protocolViolation("unexpected reply", reply: reply, step: step)
    }

    private mutating func expect(_ code: Int, for command: String, step: String) async throws(SMTPError) {
        let reply = try await self.exchange(command, step: step)
        guard reply.code == code else {
            throw Self.unexpected(reply, step: step)
        }
    }

    /// Best effort: a server that does not answer QUIT does not turn a delivery into a failure.
    private mutating func quit() async {
        _ = try? await self.exchange("QUIT", step: "QUIT", timeout: min(self.configuration.timeouts.command, .seconds(5)))
    }

    private mutating func exchange(
        _ command: String?,
        logLine: String? = nil,
        step: String,
        timeout: Duration? = nil
    ) async throws(SMTPError) -> SMTPReply {
        try await self.exchange(
            bytes: command.map { Array("\($0)\r\n".utf8) },
            logLine: logLine ?? command,
            step: step,
            timeout: timeout ?? self.configuration.timeouts.command
        )
    }

    /// Writes `bytes` (if any) and reads one reply, both under `timeout`: when it fires the channel is closed,
    /// which ends the pending write or read.
    private mutating func exchange(bytes: [UInt8]?, logLine: String?, step: String, timeout: Duration) async throws(SMTPError) -> SMTPReply {
        let timer = StepTimer(channel: self.channel, timeout: timeout)
        defer { timer.cancel() }
        if let bytes {
            if let logLine {
                self.logger.trace("C: \(logLine)")
            }
            do {
                try await self.outbound.write(ByteBuffer(bytes: bytes))
            } catch {
                // The read side usually holds the real cause (TLS alert, reset); prefer it.
                do {
                    _ = try await self.inbound.next()
                } catch {
                    throw timer.error(for: error, step: step)
                }
                throw timer.error(for: error, step: step)
            }
        }
        let reply: SMTPReply?
        do {
            reply = try await self.inbound.next()
        } catch {
            throw timer.error(for: error, step: step)
        }
        guard let reply else {
            throw timer.error(for: ChannelError.eof, step: step)
        }
        self.repliesConsumed += 1
        self.logger.trace("S: \(reply)")
        return reply
    }
}

/// Closes the channel when a step runs over its time, and afterwards tells a timeout from other failures.
private struct StepTimer {
    private let fired = FiredFlag()
    private let task: Scheduled<Void>
    private let timeout: Duration

    init(channel: any Channel, timeout: Duration) {
        self.timeout = timeout
        let fired = self.fired
        self.task = channel.eventLoop.scheduleTask(in: timeout.timeAmount) {
            fired.set()
            channel.close(promise: nil)
        }
    }

    func cancel() {
        self.task.cancel()
    }

    func error(for error: any Error, step: String) -> SMTPError {
        if self.fired.isSet {
            return SMTPError(
                kind: .timeout,
                detail: "timeout after \(self.timeout) waiting for \(step)",
                step: step,
                isTransient: true,
                underlying: error
            )
        }
        if Task.isCancelled {
            return SMTPError(kind: .cancelled, detail: "sending was cancelled", step: step, isTransient: true, underlying: error)
        }
        return SMTPError.wrapping(error, step: step)
    }
}

/// Set on the event loop by the timer, read by the task afterwards.
private final class FiredFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { self.value.store(true, ordering: .sequentiallyConsistent) }
    var isSet: Bool { self.value.load(ordering: .sequentiallyConsistent) }
}
