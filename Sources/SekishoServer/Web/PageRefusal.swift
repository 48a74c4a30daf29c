import Hummingbird

/// A refusal shown as a page with its own message (the generic 4xx texts fit most errors, not all).
struct PageRefusal: HTTPResponseError {
    let status: HTTPResponse.Status
    /// Translation key of the page's text.
    let messageKey: String
    /// What the operator's log says.
    let logMessage: String

    func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(status: status)
    }
}
