import Hummingbird
import Logging
import SekishoStore

/// `/healthz`: the process answers. `/readyz`: the database answers too, so a load balancer
/// only sends traffic to instances that can serve it.
struct HealthRoutes {
    let store: any Store

    func register(on router: Router<SekishoRequestContext>) {
        router.get("/healthz") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
        }
        router.get("/readyz") { _, context in
            do {
                try await store.ping()
                return Response(
                    status: .ok,
                    headers: [.contentType: "text/plain; charset=utf-8"],
                    body: .init(byteBuffer: ByteBuffer(string: "ready\n"))
                )
            } catch {
                context.logger.error("readiness check failed: database does not answer: \(error)")
                return Response(
                    status: .serviceUnavailable,
                    headers: [.contentType: "text/plain; charset=utf-8"],
                    body: .init(byteBuffer: ByteBuffer(string: "database unavailable\n"))
                )
            }
        }
    }
}
