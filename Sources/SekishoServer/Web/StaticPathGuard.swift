import Foundation
import Hummingbird

/// Refuses static-file paths that are not plain: NUL and other control characters, or dot
/// segments. The file middleware would otherwise cut a path at NUL (serving `a.css` for
/// `a.css%00.txt`) or redirect `.` segments.
struct StaticPathGuard<Context: RequestContext>: RouterMiddleware {
    let prefix: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if path.hasPrefix(prefix) {
            let decoded = path.removingPercentEncoding ?? "\u{0}"
            let segments = decoded.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
            guard !decoded.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }),
                !segments.contains(where: { $0 == "." || $0 == ".." }), !decoded.contains("\\")
            else {
                throw HTTPError(.badRequest, message: "malformed static file path")
            }
        }
        return try await next(request, context)
    }
}
