import NIOCore
import NIOPosix
import SNTPClient
import Synchronization
import Testing

/// A scripted NTP "server" on a loopback UDP port, for replies a real server would never send.
///
/// For every request it receives it asks the test's script what to send back: well-formed or hostile packets,
/// raw bytes, datagrams from a second socket (to play an off-path sender), or nothing at all.
public final class FakeSNTPResponder: Sendable {
    /// One datagram the responder sends in answer to a request.
    public enum Reply: Sendable {
        /// A packet from the server's own port.
        case packet(SNTPPacket)
        /// Arbitrary bytes from the server's own port.
        case bytes([UInt8])
        /// A packet from a different port of the same host, which the client must ignore.
        case packetFromOtherPort(SNTPPacket)
    }

    /// What the responder sends for each request it receives.
    public struct Script: Sendable {
        let replies: @Sendable (SNTPPacket) -> [Reply]

        /// Answer each request with the datagrams `replies(request)` returns, in order.
        public static func replying(_ replies: @escaping @Sendable (SNTPPacket) -> [Reply]) -> Script {
            Script(replies: replies)
        }

        /// Answer each request like a sane server whose clock is `offset` seconds ahead of `clock` (behind if
        /// negative), taking no time to answer.
        public static func offset(_ offset: Double, from clock: any SNTPLocalClock = SystemSNTPClock()) -> Script {
            .replying { request in
                let now = clock.now() + offset
                return [.packet(serverReply(to: request, receivedAt: now, transmittedAt: now))]
            }
        }

        /// Receive requests and never answer, like a dead server behind a firewall.
        public static let silent = Script(replies: { _ in [] })
    }

    /// The UDP port the client should query.
    public let port: Int
    private let received = Mutex<[SNTPPacket]>([])

    private init(port: Int) {
        self.port = port
    }

    /// Every request received so far, in order.
    public var requests: [SNTPPacket] {
        self.received.withLock { $0 }
    }

    /// The responder's address as "127.0.0.1:port", the form configuration and `--server` take.
    public var address: String {
        "127.0.0.1:\(self.port)"
    }

    /// Runs `body` while a responder answers requests according to `script`, then shuts it down.
    ///
    /// The replies are written on the channel's event loop, not from a task: on a loaded two-core
    /// machine Swift's cooperative pool can be busy for seconds with other tests' work, and a reply
    /// waiting for a task would then reach the client after its timeout.
    public static func withResponder<Result: Sendable>(
        _ script: Script,
        _ body: (FakeSNTPResponder) async throws -> Result
    ) async throws -> Result {
        let group = MultiThreadedEventLoopGroup.singleton
        let other = try await DatagramBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
        let holder = ResponderSlot()
        let server = try await DatagramBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ReplyHandler(script: script, other: other, responder: holder))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let responder = FakeSNTPResponder(port: try #require(server.localAddress?.port))
        holder.value.withLock { $0 = responder }
        do {
            let result = try await body(responder)
            try? await server.close()
            try? await other.close()
            return result
        } catch {
            try? await server.close()
            try? await other.close()
            throw error
        }
    }

    /// The responder, known once its port is bound; the handler records requests in it.
    private final class ResponderSlot: Sendable {
        let value = Mutex<FakeSNTPResponder?>(nil)
    }

    /// Answers each datagram on the event loop, as the script says.
    private final class ReplyHandler: ChannelInboundHandler, Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        typealias OutboundOut = AddressedEnvelope<ByteBuffer>

        let script: Script
        let other: any Channel
        let responder: ResponderSlot

        init(script: Script, other: any Channel, responder: ResponderSlot) {
            self.script = script
            self.other = other
            self.responder = responder
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let envelope = unwrapInboundIn(data)
            guard let request = try? SNTPPacket(decoding: envelope.data) else { return }
            responder.value.withLock { $0?.received.withLock { $0.append(request) } }
            for reply in script.replies(request) {
                switch reply {
                case .packet(let packet):
                    context.write(
                        wrapOutboundOut(AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: ByteBuffer(bytes: packet.bytes))),
                        promise: nil
                    )
                case .bytes(let bytes):
                    context.write(
                        wrapOutboundOut(AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: ByteBuffer(bytes: bytes))),
                        promise: nil
                    )
                case .packetFromOtherPort(let packet):
                    // What was written before goes out first, as the script lists it.
                    context.flush()
                    other.writeAndFlush(AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: ByteBuffer(bytes: packet.bytes)), promise: nil)
                }
            }
            context.flush()
        }
    }
}

/// A reply to `request` as a sane server would build it, with the given T2/T3 (Unix seconds); tests then spoil it.
public func serverReply(to request: SNTPPacket, receivedAt t2: Double, transmittedAt t3: Double, stratum: UInt8 = 2) -> SNTPPacket {
    SNTPPacket(
        leapIndicator: 0,
        version: 4,
        mode: 4,
        stratum: stratum,
        poll: 6,
        precision: -20,
        rootDelay: 0x0000_0800,
        rootDispersion: 0x0000_1000,
        referenceID: 0xC000_0201,  // 192.0.2.1
        referenceTimestamp: NTPTimestamp(unixSeconds: t2 - 64),
        originTimestamp: request.transmitTimestamp,
        receiveTimestamp: NTPTimestamp(unixSeconds: t2),
        transmitTimestamp: NTPTimestamp(unixSeconds: t3)
    )
}
