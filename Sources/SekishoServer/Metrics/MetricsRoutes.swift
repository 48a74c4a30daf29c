import Hummingbird
import NIOCore
import Prometheus

/// `GET /metrics` in Prometheus text format, for the addresses in `metrics.allowed`.
struct MetricsRoutes {
    let metrics: SekishoMetrics
    let outbox: OutboxStatus
    let allowed: [CIDR]

    func register(on router: Router<SekishoRequestContext>) {
        router.get("/metrics") { _, context in
            guard allowed.isEmpty || CIDR.any(allowed, contains: context.peerAddress) else {
                throw HTTPError(.forbidden, message: "metrics are limited to metrics.allowed")
            }
            // The queue length is read when scraped rather than kept up to date on every change.
            metrics.mailsWaiting.set(Double(try await outbox.waitingCount()))
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: metrics.registry.emitToBuffer()))
            )
        }
    }
}
