import Foundation
import Hummingbird
import NIOCore
import SekishoStore

/// The context of `/api/v1`: an administrator, by API token or by a signed-in session
/// (`APIAuthMiddleware` sets `actor`; the handlers run only with one).
struct APIContext: ChildRequestContext {
    var coreContext: CoreRequestContextStorage
    let clientAddress: String
    var actor: AdminService.Actor?

    init(context: SekishoRequestContext) {
        coreContext = context.coreContext
        clientAddress = context.clientAddress
    }
}

/// An API error as JSON: `{"error": {"code": "...", "message": "..."}}`.
struct APIError: Error {
    let status: HTTPResponse.Status
    let code: String
    let message: String

    var response: Response {
        let body = #"{"error":{"code":"\#(code)","message":\#(APIError.jsonString(message))}}"#
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func jsonString(_ text: String) -> String {
        let data = (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
