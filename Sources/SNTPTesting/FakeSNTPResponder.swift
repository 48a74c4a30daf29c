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
    public static func withResponder<Result: Sendable>(
        _ script: Script,
        _ body: (FakeSNTPResponder) async throws -> Result
    ) async throws -> Result {
        let server = try await Self.bindLoopback()
        let otherPort = try await Self.bindLoopback()
        let port = try #require(server.channel.localAddress?.port)
        let responder = FakeSNTPResponder(port: port)
        return try await server.executeThenClose { inbound, outbound in
            try await otherPort.executeThenClose { _, otherOutbound in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for try await envelope in inbound {
                            let request = try SNTPPacket(decoding: envelope.data)
                            responder.received.withLock { $0.append(request) }
                            for reply in script.replies(request) {
                                switch reply {
                                case .packet(let packet):
                                    try await outbound.write(
                                        AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: ByteBuffer(bytes: packet.bytes))
                                    )
                                case .bytes(let bytes):
                                    try await outbound.write(AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: ByteBuffer(bytes: bytes)))
                                case .packetFromOtherPort(let packet):
                                    try await otherOutbound.write(
                                        AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: ByteBuffer(bytes: packet.bytes))
                                    )
                                }
                            }
                        }
                    }
                    let result = try await body(responder)
                    group.cancelAll()
                    return result
                }
            }
        }
    }

    private static func bindLoopback() async throws -> NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>> {
        try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0) { channel in
            channel.eventLoop.makeCompletedFuture {
                try NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>(wrappingChannelSynchronously: channel)
            }
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
