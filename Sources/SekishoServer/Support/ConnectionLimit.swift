import HTTPTypes
import Logging
import NIOCore
import NIOHTTPTypes
import Synchronization

/// The most connections served at once; beyond it a new connection gets a 503 and is closed.
///
/// Every connection costs a file descriptor (two while it is sent a static file), and so do the
/// database, outgoing mail and PostgreSQL. Without a bound, slow or idle clients can take them
/// all: `accept` then fails and the server stops answering everyone (NIO pauses accepting),
/// files fail to open mid-request, and libdispatch crashes the process (see
/// ``DescriptorLimit``). Refusing at a bound well below the descriptor limit keeps descriptors
/// for the work already admitted and tells a client at once to come back (`Retry-After`).
final class ConnectionLimit: Sendable {
    let maximum: Int
    /// Refused connections kept open a moment so that their 503 arrives (see ``Handler``);
    /// beyond this many, a refused connection is closed at once, so a flood of connections
    /// cannot take the descriptors the bound keeps free.
    static let maximumLingering = 16
    private let open = Atomic<Int>(0)
    private let lingering = Atomic<Int>(0)
    private let logger: Logger
    /// When the last refusal was logged, so that a flood is one line per interval with a count.
    private let refusals = Mutex<(count: Int, loggedAt: ContinuousClock.Instant?)>((0, nil))

    init(maximum: Int, logger: Logger) {
        self.maximum = maximum
        self.logger = logger
    }

    /// Connections open now.
    var current: Int { open.load(ordering: .relaxed) }

    /// Descriptors kept free of connections: the process's own (~25: event loops, logs, the
    /// database with its WAL), SQLite readers (~12), lingering refusals (16), mail and a
    /// PostgreSQL pool.
    static let reservedDescriptors = 64

    /// `configured`, lowered so that every connection can also open a file and the reserve stays free.
    static func effectiveMaximum(configured: Int, descriptorLimit: Int? = DescriptorLimit.current()) -> Int {
        guard let descriptorLimit else { return configured }
        return max(1, min(configured, (descriptorLimit - reservedDescriptors) / 2))
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

    /// Whether a refused connection may stay open a moment for its answer to arrive.
    fileprivate func mayLinger() -> Bool {
        guard lingering.add(1, ordering: .relaxed).newValue > Self.maximumLingering else { return true }
        lingering.subtract(1, ordering: .relaxed)
        return false
    }

    fileprivate func stoppedLingering() {
        lingering.subtract(1, ordering: .relaxed)
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
        private var lingers = false

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
                guard limit.mayLinger() else {
                    context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
                    return
                }
                lingers = true
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
            if lingers {
                lingers = false
                limit.stoppedLingering()
            }
        }
    }
}
