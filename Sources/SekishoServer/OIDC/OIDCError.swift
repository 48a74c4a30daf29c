import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// A refusal with the error code RFC 6749 §5.2 / OIDC Core §3.1.2.6 names, as the token,
/// revocation and introspection endpoints answer it (JSON), or as the authorization endpoint
/// sends it back to the client's redirect URI.
struct OIDCError: Error, Equatable, Sendable {
    let code: String
    let description: String
    let status: HTTPResponse.Status

    init(_ code: String, _ description: String, status: HTTPResponse.Status = .badRequest) {
        self.code = code
        self.description = description
        self.status = status
    }

    static func invalidRequest(_ why: String) -> OIDCError { OIDCError("invalid_request", why) }
    /// 401 with a `WWW-Authenticate` challenge (RFC 6749 §5.2).
    static func invalidClient(_ why: String) -> OIDCError { OIDCError("invalid_client", why, status: .unauthorized) }
    static func invalidGrant(_ why: String) -> OIDCError { OIDCError("invalid_grant", why) }
    static func invalidScope(_ why: String) -> OIDCError { OIDCError("invalid_scope", why) }
    static func unauthorizedClient(_ why: String) -> OIDCError { OIDCError("unauthorized_client", why) }
    static func unsupportedGrantType(_ why: String) -> OIDCError { OIDCError("unsupported_grant_type", why) }
    static func invalidToken(_ why: String) -> OIDCError { OIDCError("invalid_token", why, status: .unauthorized) }

    /// The JSON answer of the back-channel endpoints.
    var response: Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-store"
        if status == .unauthorized {
            headers[.wwwAuthenticate] =
                code == "invalid_token" ? #"Bearer error="invalid_token""# : #"Basic realm="sekisho", charset="UTF-8""#
        }
        let body = OIDCJSON.encode(["error": code, "error_description": description])
        return Response(status: status, headers: headers, body: .init(byteBuffer: .init(string: body)))
    }
}

/// JSON answers of the provider's endpoints.
enum OIDCJSON {
    static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Dictionaries of strings and numbers always encode.
        return String(decoding: (try? encoder.encode(value)) ?? Data("{}".utf8), as: UTF8.self)
    }

    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: .init(string: encode(value))))
    }
}

/// A JSON value for answers mixing strings, numbers, booleans and lists.
enum JSONValue: Encodable, Equatable, Sendable {
    case string(String)
    case int(Int)
    case bool(Bool)
    case strings([String])

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .strings(let value): try container.encode(value)
        }
    }
}
