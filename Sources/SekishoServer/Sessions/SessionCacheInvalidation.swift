import Hummingbird

/// Empties the ``SessionCache`` after every request that may have changed a session or a user
/// (anything but GET and HEAD), whether it succeeded or not: a failed request may have written
/// too (a lockout, an ended session).
struct SessionCacheInvalidation<Context: RequestContext>: RouterMiddleware {
    let cache: SessionCache

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method != .get, request.method != .head else { return try await next(request, context) }
        defer { cache.invalidate() }
        return try await next(request, context)
    }
}
