import Logging
import NIOCore
import NIOPosix
import NIOSSL

/// Delivers mail to one SMTP server: one connection per message, STARTTLS or implicit TLS, AUTH PLAIN/LOGIN.
///
/// Follows swift-nio's async style (`NIOAsyncChannel`, `executeThenClose`): the session is a straight
/// sequence of `await`s with a timeout on every step. Credentials are never sent over plain text unless
/// ``SMTPConfiguration/allowCredentialsWithoutTLS`` is set, and the password is never logged.
///
/// ```swift
/// let client = SMTPClient(configuration: .init(host: "mail.example.com", security: .startTLS(required: true)), logger: logger)
/// let delivery = try await client.send(message, messageIDDomain: "login.example.com")
/// ```
public struct SMTPClient: Sendable {
    /// The server and policy this client uses.
    public let configuration: SMTPConfiguration
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger

    /// Makes a client; nothing connects until ``send(_:messageIDDomain:)``.
    public init(configuration: SMTPConfiguration, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        var logger = logger
        logger[metadataKey: "smtp.server"] = "\(configuration.host):\(configuration.port)"
        self.logger = logger
    }

    /// Sends one message: connects, optionally upgrades to TLS and authenticates, then MAIL, RCPT, DATA and QUIT.
    ///
    /// - Parameters:
    ///   - message: The message; rendered and checked before connecting, so a bad header never reaches the server.
    ///   - messageIDDomain: The domain for a generated Message-ID when the message has none.
    /// - Returns: The server's final reply and the Message-ID that was sent.
    /// - Throws: ``SMTPError``; see ``SMTPError/isTransient`` for whether to try again.
    public func send(_ message: MailMessage, messageIDDomain: String) async throws(SMTPError) -> SMTPDelivery {
        let (data, messageID) = try Self.render(message, messageIDDomain: messageIDDomain)
        try self.checkCredentialPolicyBeforeConnecting()
        let tlsContext = try self.makeTLSContext()
        let envelope = SMTPEnvelope(
            from: message.from.address,
            recipients: message.to.map(\.address),
            data: SMTPDataEncoder.encode(data),
            messageSize: data.count
        )
        let channel = try await self.connect(tlsContext: tlsContext)
        do {
            return try await channel.executeThenClose { inbound, outbound in
                var conversation = SMTPConversation(
                    channel: channel.channel,
                    inbound: inbound.makeAsyncIterator(),
                    outbound: outbound,
                    configuration: self.configuration,
                    tlsContext: tlsContext,
                    logger: self.logger
                )
                let (reply, usedTLS) = try await conversation.run(envelope: envelope)
                self.logger.debug("mail delivered", metadata: ["smtp.reply": "\(reply)", "mail.message-id": "\(messageID)"])
                return SMTPDelivery(finalReply: reply, messageID: messageID, recipients: envelope.recipients, usedTLS: usedTLS)
            }
        } catch {
            let smtpError = SMTPError.wrapping(error, step: nil)
            self.logger.debug("mail not delivered", metadata: ["smtp.error": "\(smtpError)", "smtp.transient": "\(smtpError.isTransient)"])
            throw smtpError
        }
    }

    private static func render(_ message: MailMessage, messageIDDomain: String) throws(SMTPError) -> ([UInt8], String) {
        var message = message
        do {
            if message.messageID == nil {
                // Generate here rather than in the renderer so the ID can be reported in the delivery.
                var generator = SystemRandomNumberGenerator()
                let random = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
                message.messageID = "<" + random.map { String($0, radix: 16).leftPadded(to: 2) }.joined() + "@\(messageIDDomain)>"
            }
            let data = try message.rendered(messageIDDomain: messageIDDomain)
            let messageID = message.messageID.map { $0.hasPrefix("<") ? $0 : "<\($0)>" } ?? ""
            return (data, messageID)
        } catch {
            throw SMTPError(kind: .invalidMessage, detail: error.description, isTransient: false, underlying: error)
        }
    }

    /// With no TLS at all, fail before connecting rather than after the greeting: nothing would change in between.
    private func checkCredentialPolicyBeforeConnecting() throws(SMTPError) {
        if self.configuration.credentials != nil, self.configuration.security == .none, !self.configuration.allowCredentialsWithoutTLS {
            throw SMTPConversation.credentialsRequireTLSError
        }
    }

    private func makeTLSContext() throws(SMTPError) -> NIOSSLContext? {
        if self.configuration.security == .none {
            return nil
        }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        tls.certificateVerification = self.configuration.verifyCertificates ? .fullVerification : .none
        if let file = self.configuration.trustRootsFile {
            tls.trustRoots = .file(file)
        }
        do {
            return try NIOSSLContext(configuration: tls)
        } catch {
            throw SMTPError(
                kind: .invalidConfiguration,
                detail: "cannot set up TLS (trust roots \(self.configuration.trustRootsFile ?? "system")): \(error)",
                isTransient: false,
                underlying: error
            )
        }
    }

    /// Connects; with implicit TLS the handshake starts at once and its failure surfaces when the greeting is read.
    private func connect(tlsContext: NIOSSLContext?) async throws(SMTPError) -> NIOAsyncChannel<SMTPReply, ByteBuffer> {
        let configuration = self.configuration
        let implicitTLS = configuration.security == .implicitTLS
        let serverName = SMTPConversation.tlsServerName(configuration)
        do {
            return try await ClientBootstrap(group: self.eventLoopGroup)
                .connectTimeout(configuration.timeouts.connect.timeAmount)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connect(host: configuration.host, port: configuration.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if implicitTLS, let tlsContext {
                            try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tlsContext, serverHostname: serverName))
                        }
                        try channel.pipeline.syncOperations.addHandler(SMTPReplyHandler())
                        return try NIOAsyncChannel<SMTPReply, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw SMTPError.wrapping(error, step: "connect")
        }
    }
}

extension String {
    fileprivate func leftPadded(to length: Int) -> String {
        String(repeating: "0", count: max(0, length - self.count)) + self
    }
}

extension Duration {
    /// The duration as a NIO `TimeAmount`, saturating instead of overflowing.
    var timeAmount: TimeAmount {
        let (seconds, attoseconds) = self.components
        let (nanosFromSeconds, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow {
            return .nanoseconds(seconds < 0 ? .min : .max)
        }
        return .nanoseconds(nanosFromSeconds.addingReportingOverflow(attoseconds / 1_000_000_000).partialValue)
    }
}
