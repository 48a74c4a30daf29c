import NIOCore

/// Splits the server's bytes into lines and lines into ``SMTPReply`` values.
///
/// A plain handler rather than a `ByteToMessageDecoder`, because STARTTLS must check that no bytes
/// arrived after the `220` reply (a man in the middle could inject them in plain text, CVE-2011-0411
/// style): ``hasUnprocessedInput`` and ``repliesEmitted`` expose exactly that.
final class SMTPReplyHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = SMTPReply

    private var buffer = ByteBuffer()
    private var parser = SMTPReplyParser()
    private var failed = false
    /// How many replies went up the pipeline; the client compares it with how many it consumed.
    private(set) var repliesEmitted = 0

    /// Whether bytes or lines of an unfinished reply are held.
    var hasUnprocessedInput: Bool { self.buffer.readableBytes > 0 || self.parser.hasPartialReply }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.failed else {
            return
        }
        var incoming = Self.unwrapInboundIn(data)
        self.buffer.writeBuffer(&incoming)
        do {
            while let newline = self.buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
                let length = newline - self.buffer.readerIndex
                var line = self.buffer.readSlice(length: length)!
                self.buffer.moveReaderIndex(forwardBy: 1)
                if line.readableBytesView.last == UInt8(ascii: "\r") {
                    line.moveWriterIndex(to: line.writerIndex - 1)
                }
                if let reply = try self.parser.feed(line: line.readableBytesView) {
                    self.repliesEmitted += 1
                    context.fireChannelRead(Self.wrapInboundOut(reply))
                }
            }
            guard self.buffer.readableBytes <= SMTPReplyParser.maximumLineLength else {
                throw SMTPError.protocolViolation("reply line longer than \(SMTPReplyParser.maximumLineLength) bytes")
            }
            self.buffer.discardReadBytes()
        } catch {
            self.failed = true
            context.fireErrorCaught(error)
            context.close(promise: nil)
        }
    }
}

@available(*, unavailable)
extension SMTPReplyHandler: Sendable {}
