import Hummingbird

/// A 303 See Other, thrown by a context that does not let the request in.
struct Redirect: HTTPResponseError {
    let location: String

    init(to location: String) { self.location = location }

    var status: HTTPResponse.Status { .seeOther }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    static func response(to location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }
}
