import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1

/// Answers 400 to a request whose `Host` header breaks RFC 9112 §3.2: an HTTP/1.1 request must
/// carry exactly one, and no request may carry two. Which Host a request is for decides the
/// links in mails (S14) and what forward auth protects, so an ambiguous one is refused outright.
///
/// It works on NIO's HTTP/1 parts because the HTTP version, which decides whether a missing
/// Host is allowed (HTTP/1.0 health checkers omit it), is gone once Hummingbird converts the
/// head to Swift HTTP Types. Hummingbird adds extra handlers only after that conversion, so
/// the handler Hummingbird adds, ``Installer``, puts this one in front of the converter.
final class HostHeaderValidator: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// Parts of a refused request still arriving: dropped until the connection closes.
    private var refusing = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refusing else { return }
        if case .head(let head) = unwrapInboundIn(data), !Self.isAcceptable(head) {
            refusing = true
            refuse(context: context)
            return
        }
        context.fireChannelRead(data)
    }

    /// Whether the request names its host as RFC 9112 asks.
    static func isAcceptable(_ head: HTTPRequestHead) -> Bool {
        let hosts = head.headers["Host"].count
        if head.version.major > 1 || (head.version.major == 1 && head.version.minor >= 1) { return hosts == 1 }
        return hosts <= 1
    }

    private func refuse(context: ChannelHandlerContext) {
        let body = context.channel.allocator.buffer(string: "400 Bad Request: exactly one Host header is required\n")
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        headers.add(name: "Connection", value: "close")
        headers.add(name: "Cache-Control", value: "no-store")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .badRequest, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }

    /// Added through Hummingbird's `additionalChannelHandlers`; places a validator in front of
    /// the conversion to HTTP Types and otherwise passes everything on.
    final class Installer: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = NIOAny

        func handlerAdded(context: ChannelHandlerContext) {
            let pipeline = context.pipeline.syncOperations
            guard let converter = try? pipeline.handler(type: HTTP1ToHTTPServerCodec.self) else { return }
            try? pipeline.addHandler(HostHeaderValidator(), position: .before(converter))
        }
    }
}
