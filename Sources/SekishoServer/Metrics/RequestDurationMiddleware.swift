import Hummingbird
import Prometheus
import Synchronization

/// Records how long each route takes to answer, labelled by the route pattern (never the raw
/// path, which would make one series per user id or token).
struct RequestDurationMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: SekishoMetrics
    private let histograms = HistogramCache()

    init(metrics: SekishoMetrics) { self.metrics = metrics }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        defer {
            let route = context.endpointPath ?? "unmatched"
            histograms.histogram(route, metrics).record(ContinuousClock.now - start)
        }
        return try await next(request, context)
    }

    final class HistogramCache: Sendable {
        private let histograms = Mutex<[String: DurationHistogram]>([:])

        func histogram(_ route: String, _ metrics: SekishoMetrics) -> DurationHistogram {
            histograms.withLock { cache in
                if let histogram = cache[route] { return histogram }
                let histogram = metrics.requestDuration(route: route)
                cache[route] = histogram
                return histogram
            }
        }
    }
}
