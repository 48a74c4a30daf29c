import Foundation
import HTTPTypes
import Hummingbird
import SekishoStore

/// The provider's machine endpoints: discovery, JWKS, token, userinfo, revocation and
/// introspection. They answer JSON, take no cookies and no CSRF token: clients authenticate
/// themselves (RFC 6749 §2.3) or show a bearer token.
struct OIDCEndpointRoutes {
    let oidc: OIDCService
    let maxBodyBytes: Int

    func register(on router: Router<SekishoRequestContext>) {
        router.get("/.well-known/openid-configuration", use: discovery)
        router.get("/oidc/jwks", use: jwks)
        router.post("/oidc/token", use: token)
        router.get("/oidc/userinfo", use: userinfo)
        router.post("/oidc/userinfo", use: userinfo)
        router.post("/oidc/revoke", use: revoke)
        router.post("/oidc/introspect", use: introspect)
    }

    func discovery(_ request: Request, context: SekishoRequestContext) async throws -> Response {
        let issuer = oidc.issuer
        let document: [String: JSONValue] = [
            "issuer": .string(issuer),
            "authorization_endpoint": .string(issuer + "/oidc/authorize"),
            "token_endpoint": .string(issuer + "/oidc/token"),
            "userinfo_endpoint": .string(issuer + "/oidc/userinfo"),
            "jwks_uri": .string(issuer + "/oidc/jwks"),
            "revocation_endpoint": .string(issuer + "/oidc/revoke"),
            "introspection_endpoint": .string(issuer + "/oidc/introspect"),
            "end_session_endpoint": .string(issuer + "/oidc/end_session"),
            "response_types_supported": .strings(["code"]),
            "response_modes_supported": .strings(["query", "form_post"]),
            "grant_types_supported": .strings(["authorization_code", "refresh_token", "client_credentials"]),
            "subject_types_supported": .strings(["public"]),
            "id_token_signing_alg_values_supported": .strings(["RS256", "ES256"]),
            "scopes_supported": .strings(OIDCService.supportedScopes),
            "claims_supported": .strings([
                "sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "amr", "acr", "at_hash", "azp", "preferred_username", "name", "email",
                "email_verified", "groups",
            ]),
            "token_endpoint_auth_methods_supported": .strings(["client_secret_basic", "client_secret_post", "none"]),
            "revocation_endpoint_auth_methods_supported": .strings(["client_secret_basic", "client_secret_post", "none"]),
            "introspection_endpoint_auth_methods_supported": .strings(["client_secret_basic", "client_secret_post"]),
            "code_challenge_methods_supported": .strings(["S256"]),
            "prompt_values_supported": .strings(["none", "login", "consent"]),
            "acr_values_supported": .strings([OIDCService.acr(amr: SignInMethods.passwordAndCode), OIDCService.acr(amr: SignInMethods.password)]),
            "claims_parameter_supported": .bool(false),
            "request_parameter_supported": .bool(false),
            "request_uri_parameter_supported": .bool(false),
            "authorization_response_iss_parameter_supported": .bool(true),
        ]
        return OIDCJSON.response(document)
    }

    func jwks(_ request: Request, context: SekishoRequestContext) async throws -> Response {
        // Not cached: a rotation signs with the new key at once (clients refetch on an unknown kid).
        OIDCJSON.response(try await oidc.keys.publishedKeySet())
    }

    func token(_ request: Request, context: SekishoRequestContext) async throws -> Response {
        do {
            let form = try await FormData.parse(request, limit: maxBodyBytes)
            let client = try await oidc.authenticateClient(authorization: request.headers[.authorization], form: form)
            let answer: [String: JSONValue]
            switch form["grant_type"] {
            case "authorization_code": answer = try await oidc.exchangeCode(form: form, client: client, clientAddress: context.clientAddress)
            case "refresh_token": answer = try await oidc.refresh(form: form, client: client, clientAddress: context.clientAddress)
            case "client_credentials": answer = try await oidc.clientCredentials(form: form, client: client, clientAddress: context.clientAddress)
            case nil: throw oidc.refused(.invalidRequest("grant_type is missing"), "no_grant_type")
            default: throw oidc.refused(.unsupportedGrantType("grant_type is not supported"), "unsupported_grant_type")
            }
            // RFC 6749 §5.1: tokens are never cached (Cache-Control: no-store is set for every answer).
            return OIDCJSON.response(answer)
        } catch let error as OIDCError {
            return error.response
        } catch let error as HTTPError {
            return OIDCError.invalidRequest(error.body ?? "malformed request").response
        }
    }

    func userinfo(_ request: Request, context: SekishoRequestContext) async throws -> Response {
        do {
            return OIDCJSON.response(try await oidc.userinfo(authorization: request.headers[.authorization]))
        } catch let error as OIDCError {
            return error.response
        }
    }

    func revoke(_ request: Request, context: SekishoRequestContext) async throws -> Response {
        do {
            let form = try await FormData.parse(request, limit: maxBodyBytes)
            let client = try await oidc.authenticateClient(authorization: request.headers[.authorization], form: form)
            try await oidc.revoke(form: form, client: client, clientAddress: context.clientAddress)
            return Response(status: .ok, headers: [.cacheControl: "no-store"])
        } catch let error as OIDCError {
            return error.response
        } catch let error as HTTPError {
            return OIDCError.invalidRequest(error.body ?? "malformed request").response
        }
    }

    func introspect(_ request: Request, context: SekishoRequestContext) async throws -> Response {
        do {
            let form = try await FormData.parse(request, limit: maxBodyBytes)
            let client = try await oidc.authenticateClient(authorization: request.headers[.authorization], form: form)
            // Public clients hold no secret: introspection would tell anyone about tokens.
            guard !client.client.isPublic else {
                throw oidc.refused(.invalidClient("introspection needs client authentication"), "public_introspection")
            }
            return OIDCJSON.response(try await oidc.introspect(form: form, client: client))
        } catch let error as OIDCError {
            return error.response
        } catch let error as HTTPError {
            return OIDCError.invalidRequest(error.body ?? "malformed request").response
        }
    }
}
