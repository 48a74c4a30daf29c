import Hummingbird
import Logging

/// Logs every request like Hummingbird's `LogRequestsMiddleware` (same message and metadata
/// keys), but with the tokens of reset and setup links redacted: a log must never hold a link
/// that still works.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    let level: Logger.Level

    init(_ level: Logger.Level) { self.level = level }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        context.logger.log(
            level: level,
            "Request",
            metadata: [
                "hb.request.path": .string(LoggedPath.redacting(request.uri.description)),
                "hb.request.method": .string(request.method.rawValue),
            ]
        )
        return try await next(request, context)
    }
}
