import Foundation
import Hummingbird

/// `/healthz`: the process answers. `/readyz`: the database answers and takes writes, so a load
/// balancer only sends traffic to instances that can serve it.
struct HealthRoutes {
    let readiness: ReadinessProbe

    func register(on router: Router<SekishoRequestContext>) {
        router.get("/healthz") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
        }
        router.get("/readyz") { _, context in
            switch await readiness.check(logger: context.logger) {
            case .ready: Self.ready
            case .databaseUnavailable: Self.notReady("database unavailable\n")
            case .writesFail: Self.notReady("database does not take writes\n")
            }
        }
    }

    private static var ready: Response {
        Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: "ready\n")))
    }

    private static func notReady(_ text: String) -> Response {
        Response(
            status: .serviceUnavailable,
            headers: [.contentType: "text/plain; charset=utf-8", .retryAfter: "5"],
            body: .init(byteBuffer: ByteBuffer(string: text))
        )
    }
}
