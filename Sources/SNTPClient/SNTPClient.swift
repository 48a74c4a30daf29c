import NIOCore
import NIOPosix
import Synchronization

/// A minimal SNTP client (RFC 4330) that measures how far the local clock is from NTP servers.
///
/// It sends one request per query, from a fresh UDP socket, with a random nonce in the transmit field, and accepts
/// only a reply from the queried address and port that echoes the nonce. Offset and delay are computed from the
/// injected ``SNTPLocalClock`` (T1, T4) and the server's timestamps (T2, T3).
///
/// ```swift
/// let client = SNTPClient()
/// let report = await client.query(servers: [SNTPServer(host: "pool.ntp.org")], timeout: .seconds(2))
/// if let best = report.best { print("offset \(best.offset) s") }
/// ```
public struct SNTPClient: Sendable {
    private let eventLoopGroup: any EventLoopGroup
    private let clock: any SNTPLocalClock
    private let transmitRandom: @Sendable () -> UInt64

    /// Creates a client.
    ///
    /// - Parameters:
    ///   - eventLoopGroup: Where the UDP sockets run; must be a NIOPosix group.
    ///   - clock: The local clock being checked; it supplies T1 and T4.
    ///   - transmitRandom: Source of the nonce sent as the transmit timestamp (injected so tests are deterministic).
    public init(
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        clock: any SNTPLocalClock = SystemSNTPClock(),
        transmitRandom: @escaping @Sendable () -> UInt64 = { UInt64.random(in: .min ... .max) }
    ) {
        self.eventLoopGroup = eventLoopGroup
        self.clock = clock
        self.transmitRandom = transmitRandom
    }

    /// Sends one SNTP request to `host:port` and returns the measurement from the first acceptable reply.
    ///
    /// Datagrams from other addresses or ports are ignored. Replies from the server that cannot be attributed to our
    /// request (shorter than 48 bytes, or with the wrong origin timestamp) are also skipped, since they may be stale
    /// or forged, but if nothing better arrives before the timeout the error names the last such reply instead of a
    /// bare ``SNTPError/timeout``. A reply that does answer our request but is unusable (wrong mode, version or
    /// stratum, kiss-o'-death, LI 3, zero transmit timestamp) ends the query at once with that error.
    ///
    /// - Parameter timeout: Bound on the whole query, name resolution included.
    public func query(
        host: String,
        port: Int = SNTPServer.defaultPort,
        timeout: Duration = .seconds(2)
    ) async throws(SNTPError) -> SNTPMeasurement {
        let server = SNTPServer(host: host, port: port)
        let lastRejection = LastRejection()
        let result = await withTaskGroup(of: Result<SNTPMeasurement, SNTPError>.self) { group in
            group.addTask {
                await self.exchange(with: server, lastRejection: lastRejection)
            }
            group.addTask {
                // This bounds the wait for the network; the exchange is cancelled as soon as either task finishes.
                try? await Task.sleep(for: timeout)
                return .failure(lastRejection.error.withLock { $0 } ?? .timeout)
            }
            let first = await group.next() ?? .failure(.timeout)
            group.cancelAll()
            return first
        }
        return try result.get()
    }

    /// Queries all `servers` concurrently, each with its own `timeout`, and reports every result.
    public func query(servers: [SNTPServer], timeout: Duration) async -> SNTPReport {
        await withTaskGroup(of: (Int, Result<SNTPMeasurement, SNTPError>).self) { group in
            for (index, server) in servers.enumerated() {
                group.addTask {
                    do throws(SNTPError) {
                        return (index, .success(try await self.query(host: server.host, port: server.port, timeout: timeout)))
                    } catch {
                        return (index, .failure(error))
                    }
                }
            }
            var results = [Result<SNTPMeasurement, SNTPError>?](repeating: nil, count: servers.count)
            for await (index, result) in group {
                results[index] = result
            }
            return SNTPReport(
                results: zip(servers, results).map { server, result in
                    SNTPReport.Entry(server: server, result: result ?? .failure(.timeout))
                }
            )
        }
    }

    /// Resolves, sends and waits for a reply without a time limit; ``query(host:port:timeout:)`` supplies the limit
    /// by cancelling this task.
    private func exchange(
        with server: SNTPServer,
        lastRejection: LastRejection
    ) async -> Result<SNTPMeasurement, SNTPError> {
        let address: SocketAddress
        do {
            address = try await self.resolve(server)
        } catch {
            return .failure(error)
        }
        guard let bootstrap = DatagramBootstrap(validatingGroup: self.eventLoopGroup) else {
            return .failure(.network("the event loop group cannot run NIOPosix datagram channels"))
        }
        do {
            let wildcard = address.protocol == .inet6 ? "::" : "0.0.0.0"
            let channel = try await bootstrap.bind(to: try SocketAddress(ipAddress: wildcard, port: 0)) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>(
                        wrappingChannelSynchronously: channel
                    )
                }
            }
            return try await channel.executeThenClose { inbound, outbound in
                let nonce = self.transmitRandom()
                var request = channel.channel.allocator.buffer(capacity: SNTPPacket.size)
                SNTPPacket.clientRequest(transmitNonce: nonce).write(to: &request)
                let sentAt = self.clock.now()
                try await outbound.write(AddressedEnvelope(remoteAddress: address, data: request))
                for try await envelope in inbound {
                    // The socket is unconnected, so anyone can send to it; only the queried server may answer.
                    guard envelope.remoteAddress == address else { continue }
                    let receivedAt = self.clock.now()
                    do throws(SNTPError) {
                        let reply = try SNTPPacket(decoding: envelope.data)
                        try reply.validateAsReply(toNonce: nonce)
                        return .success(SNTPMeasurement(server: server.description, reply: reply, sentAt: sentAt, receivedAt: receivedAt))
                    } catch  where error.isUnattributable {
                        lastRejection.error.withLock { $0 = error }
                    } catch {
                        return .failure(error)
                    }
                }
                return .failure(.network("the UDP socket was closed before a reply arrived"))
            }
        } catch is CancellationError {
            return .failure(.timeout)
        } catch {
            return .failure(.network(String(describing: error)))
        }
    }

    /// Turns the server's host into a socket address; IP literals need no lookup.
    private func resolve(_ server: SNTPServer) async throws(SNTPError) -> SocketAddress {
        guard (1...65_535).contains(server.port) else {
            throw .network("invalid UDP port \(server.port)")
        }
        if let literal = try? SocketAddress(ipAddress: server.host, port: server.port) {
            return literal
        }
        // getaddrinfo blocks, so it runs on the thread pool; if the query times out we stop waiting for it rather
        // than holding the caller until the resolver's own (much longer) timeout.
        let lookup = NIOThreadPool.singleton.runIfActive(eventLoop: self.eventLoopGroup.next()) {
            try SocketAddress.makeAddressResolvingHost(server.host, port: server.port)
        }
        do {
            return try await lookup.getAbandoningOnCancellation()
        } catch {
            throw .resolutionFailed(host: server.host)
        }
    }
}

/// The most recent reply that was skipped because it could not be attributed to our request, shared between the
/// exchange and the timeout so that a timeout can say what was seen.
private final class LastRejection: Sendable {
    let error = Mutex<SNTPError?>(nil)
}

extension EventLoopFuture where Value: Sendable {
    /// Like `get()`, but a cancelled task stops waiting (with `CancellationError`) while the work carries on unobserved.
    fileprivate func getAbandoningOnCancellation() async throws -> Value {
        let promise = self.eventLoop.makePromise(of: Value.self)
        self.cascade(to: promise)
        return try await withTaskCancellationHandler {
            try await promise.futureResult.get()
        } onCancel: {
            // Completing an already completed promise is a no-op, so this cannot race with the lookup finishing.
            promise.fail(CancellationError())
        }
    }
}
