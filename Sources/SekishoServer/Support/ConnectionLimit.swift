import HTTPTypes
import Logging
import NIOCore
import NIOHTTPTypes
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The most connections served at once; beyond it a new connection gets a 503 and is closed.
///
/// Every connection costs a file descriptor, and so do the database, the key and template files
/// and outgoing mail. Without a bound, slow or idle clients can take them all: `accept` then
/// fails and the server stops answering everyone (NIO pauses accepting and retries), and
/// opening a database file or a static file fails in the middle of a request. Refusing at a
/// bound below the descriptor limit keeps descriptors for the work that is already admitted
/// and tells a client at once to come back (`Retry-After`), instead of leaving it hanging.
final class ConnectionLimit: Sendable {
    let maximum: Int
    private let open = Atomic<Int>(0)
    private let logger: Logger
    /// When the last refusal was logged, so that a flood is one line per interval with a count.
    private let refusals = Mutex<(count: Int, loggedAt: ContinuousClock.Instant?)>((0, nil))

    init(maximum: Int, logger: Logger) {
        self.maximum = maximum
        self.logger = logger
    }

    /// Connections open now.
    var current: Int { open.load(ordering: .relaxed) }

    /// `configured`, lowered so that a quarter of the process's descriptor limit (at least 32)
    /// stays free for the database, files and mail whatever the clients do.
    static func effectiveMaximum(configured: Int, descriptorLimit: Int? = currentDescriptorLimit()) -> Int {
        guard let descriptorLimit else { return configured }
        return max(1, min(configured, descriptorLimit - max(32, descriptorLimit / 4)))
    }

    /// The soft `RLIMIT_NOFILE` of this process; nil when unlimited or unknown.
    static func currentDescriptorLimit() -> Int? {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max else { return nil }
        return Int(clamping: limit.rlim_cur)
    }

    /// A handler for one new connection; it counts the connection and refuses it beyond the bound.
    func handler() -> Handler { Handler(limit: self) }

    /// Counts a connection in; false when it is one too many (and then it is not counted).
    fileprivate func admit() -> Bool {
        let now = open.add(1, ordering: .relaxed).newValue
        guard now > maximum else { return true }
        open.subtract(1, ordering: .relaxed)
        noteRefusal()
        return false
    }

    fileprivate func release() {
        open.subtract(1, ordering: .relaxed)
    }

    private func noteRefusal() {
        let report: Int? = refusals.withLock { state in
            state.count += 1
            let now = ContinuousClock.now
            if let last = state.loggedAt, now - last < .seconds(60) { return nil }
            defer { state = (0, now) }
            return state.count
        }
        if let report {
            logger.warning("connection limit reached: refused \(report) connection(s) with 503 (server.max_connections \(maximum))")
        }
    }

    /// One connection's handler: added when the connection opens, before any request is read.
    final class Handler: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPRequestPart
        typealias OutboundOut = HTTPResponsePart

        private let limit: ConnectionLimit
        private var decided = false
        private var counted = false
        private var refused = false

        fileprivate init(limit: ConnectionLimit) { self.limit = limit }

        // Hummingbird adds the handler before or after the connection becomes active,
        // depending on how NIO sets up the child channel: decide on whichever comes first.
        func handlerAdded(context: ChannelHandlerContext) {
            if context.channel.isActive { decide(context) }
        }

        func channelActive(context: ChannelHandlerContext) {
            decide(context)
            context.fireChannelActive()
        }

        private func decide(_ context: ChannelHandlerContext) {
            guard !decided else { return }
            decided = true
            if limit.admit() {
                counted = true
            } else {
                refused = true
                var response = HTTPResponse(status: .serviceUnavailable)
                response.headerFields[.retryAfter] = "1"
                response.headerFields[.connection] = "close"
                response.headerFields[.contentLength] = "0"
                context.write(wrapOutboundOut(.head(response)), promise: nil)
                let channel = context.channel
                // Only our side closes at once: closing both while the client's request is still
                // unread would make the kernel reset the connection, and the client would lose
                // the 503. The request, when it comes, ends the connection; a client that sends
                // nothing has a second.
                context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
                    channel.close(mode: .output, promise: nil)
                    channel.eventLoop.scheduleTask(in: .seconds(1)) { channel.close(promise: nil) }
                }
            }
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            // A refused connection's request is never handled; its arrival ends the connection.
            guard !refused else {
                context.close(promise: nil)
                return
            }
            context.fireChannelRead(data)
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            if counted {
                counted = false
                limit.release()
            }
        }
    }
}
