import HummingbirdCore
import NIOCore
import NIOHTTPTypes

/// Closes a connection whose request body has not fully arrived within `timeout` of its head.
///
/// The head has its own limit (``RequestHeadTimeoutHandler``) and the idle timeout only counts
/// silence, so without this a client sending one body byte every few seconds would hold its
/// connection, and the request's task, for good. The limit is for the whole body: bodies are at
/// most `server.max_body_bytes`, which any real client sends in well under the default.
final class RequestBodyTimeoutHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    private let timeout: TimeAmount
    private var pending: Scheduled<Void>?

    init(timeout: TimeAmount) { self.timeout = timeout }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            pending?.cancel()
            let channel = context.channel
            pending = context.eventLoop.scheduleTask(in: timeout) {
                channel.close(promise: nil)
            }
        case .end:
            pending?.cancel()
            pending = nil
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        pending?.cancel()
    }
}
