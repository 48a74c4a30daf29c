import Foundation
import Hummingbird
import Logging
import SekishoStore

/// `/healthz`: the process answers. `/readyz`: the database answers and takes writes, so a load
/// balancer only sends traffic to instances that can serve it.
struct HealthRoutes {
    /// The setting the readiness probe writes; nothing reads it.
    static let probeKey = "readiness_probe"

    let store: any Store
    let clock: any WallClock

    func register(on router: Router<SekishoRequestContext>) {
        router.get("/healthz") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
        }
        router.get("/readyz") { _, context in
            do {
                try await store.ping()
            } catch {
                context.logger.error("readiness check failed: database does not answer: \(error)")
                return Self.notReady("database unavailable\n")
            }
            guard let failure = store.writeHealth.failure else { return Self.ready }
            // The latest write failed. Only a write shows whether writes work again: a balancer
            // that took this instance out of rotation sends no sign-in that could tell.
            let now = clock.now()
            do {
                try await store.setSetting(Self.probeKey, value: "\(now.timeIntervalSince1970)", at: now, effects: SideEffects())
                context.logger.notice("readiness: writes succeed again (the last failure was: \(failure))")
                return Self.ready
            } catch {
                context.logger.warning("readiness check failed: writes fail: \(error)")
                return Self.notReady("database does not take writes\n")
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
