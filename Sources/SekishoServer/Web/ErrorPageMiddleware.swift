import Hummingbird
import Logging
import Prometheus
import SekishoCore
import SekishoStore

/// Turns every error into a page in the user's language: 4xx with a log line for the operator,
/// 503 when the database is unavailable, 500 (logged at error level) for anything unexpected.
struct ErrorPageMiddleware: RouterMiddleware {
    typealias Context = SekishoRequestContext
    let renderer: PageRenderer
    let metrics: SekishoMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let aborted as RequestBodyAborted {
            // Routine on the internet and nobody is left to read the answer: a debug line and a
            // counter, never one error line per client.
            metrics.abortedRequestBodies.increment()
            context.logger.debug("aborted \(request.method) \(LoggedPath.redacting(request.uri.path)): \(aborted)")
            return Response(status: .badRequest, headers: [.connection: "close"])
        } catch let redirect as Redirect {
            return Redirect.response(to: redirect.location)
        } catch let error as any HTTPResponseError {
            context.logger.notice("refused \(request.method) \(LoggedPath.redacting(request.uri.path)): \(error.status.code) \(error)")
            return page(for: error.status, messageKey: (error as? PageRefusal)?.messageKey, request: request, context: context)
        } catch let error as StoreError where error.isUnavailable {
            context.logger.error("database unavailable during \(request.method) \(LoggedPath.redacting(request.uri.path)): \(error)")
            var response = page(for: .serviceUnavailable, request: request, context: context)
            // A busy or briefly read-only database usually recovers within seconds.
            response.headers[.retryAfter] = "5"
            return response
        } catch let error as Argon2Error where error.isResourceExhaustion {
            context.logger.error("out of memory or threads during \(request.method) \(LoggedPath.redacting(request.uri.path)): \(error)")
            var response = page(for: .serviceUnavailable, request: request, context: context)
            response.headers[.retryAfter] = "5"
            return response
        } catch {
            context.logger.error("failed \(request.method) \(LoggedPath.redacting(request.uri.path)): \(error)")
            return page(for: .internalServerError, request: request, context: context)
        }
    }

    private func page(for status: HTTPResponse.Status, messageKey: String? = nil, request: Request, context: Context) -> Response {
        var web = context.web
        web.language = Language.preferred(by: request)
        let key = [400, 403, 404, 405, 413, 415, 503].contains(status.code) ? "error.\(status.code)" : "error.500"
        let page = Page(
            "message",
            title: key + ".title",
            values: ["message": renderer.localizer.text(messageKey ?? key, web.language), "linkHref": "/"],
            status: status
        )
        return renderer.render(page, web: web, path: request.uri.path)
    }
}
