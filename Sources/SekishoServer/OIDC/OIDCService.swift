import Crypto
import Foundation
import Logging
import SekishoCore
import SekishoStore

/// The rules of Sekisho's OpenID provider (OIDC Core 1.0, RFC 6749, RFC 7636, RFC 7009,
/// RFC 7662); the routes only translate HTTP to these calls and back.
///
/// Codes and tokens are 256-bit random values (``OpaqueToken``) of which the store keeps only
/// the SHA-256; spending a code or a refresh token is one conditional statement in the store.
struct OIDCService: Sendable {
    /// RFC 6749 §4.1.2 recommends at most 10 minutes; a minute is plenty for a redirect.
    static let codeLifetime: TimeInterval = 60
    /// What the console and the configuration file accept as token lifetimes.
    static let maximumLifetime = 86_400
    static let supportedScopes = ["openid", "profile", "email", "groups", "offline_access"]

    let store: any Store
    let clock: any WallClock
    let keys: OIDCKeyRing
    /// The `iss` of every token and the base of every endpoint, without a trailing slash.
    let issuer: String
    let metrics: SekishoMetrics
    let logger: Logger

    // MARK: - Authorization endpoint

    /// True when `redirectURI` is one of the registered client's, matched exactly.
    func isRegistered(clientID: String, redirectURI: String) async throws -> Bool {
        guard clientID.utf8.count <= 200, let client = try await store.oidcClient(id: clientID) else { return false }
        return client.redirectURIs.contains(redirectURI)
    }

    /// Where a refusal of the authorization endpoint goes.
    enum AuthorizationRefusal: Error {
        /// The client or the redirect URI cannot be trusted: shown on our own error page (the
        /// translation key of its text), never sent anywhere (RFC 6749 §4.1.2.1).
        case page(String)
        /// Sent back to the client's registered redirect URI.
        case redirect(OIDCAuthorizationRequest.ResponseMode, redirectURI: String, state: String?, OIDCError)
    }

    /// Checks an authorization request: first the client and its redirect URI, then the rest.
    func validate(_ parameters: [String: String]) async throws -> OIDCAuthorizationRequest {
        guard let clientID = parameters["client_id"], !clientID.isEmpty else { throw refusePage("no_client_id") }
        guard clientID.utf8.count <= 200, let client = try await store.oidcClient(id: clientID) else {
            throw refusePage("unknown_client")
        }
        // Matched exactly, byte for byte: no prefix, pattern or normalisation (RFC 9700 §2.1).
        guard let redirectURI = parameters["redirect_uri"], client.redirectURIs.contains(redirectURI) else {
            throw refusePage("unregistered_redirect_uri")
        }
        let state = parameters["state"]
        let mode: OIDCAuthorizationRequest.ResponseMode
        switch parameters["response_mode"] {
        case nil, "query": mode = .query
        case "form_post": mode = .formPost
        default:
            throw refuseRedirect(.query, redirectURI, state, .invalidRequest("response_mode must be query or form_post"))
        }
        func refuse(_ error: OIDCError) -> AuthorizationRefusal { refuseRedirect(mode, redirectURI, state, error) }

        if (state?.utf8.count ?? 0) > 1024 || (parameters["nonce"]?.utf8.count ?? 0) > 1024 {
            throw refuse(.invalidRequest("state and nonce may have at most 1024 bytes"))
        }
        if parameters["request"] != nil || parameters["request_uri"] != nil {
            throw refuse(OIDCError("request_not_supported", "request objects are not supported"))
        }
        guard parameters["response_type"] == "code" else {
            throw refuse(OIDCError("unsupported_response_type", "only the authorization code flow (response_type=code) is supported"))
        }
        let asked = (parameters["scope"] ?? "").split(separator: " ").map(String.init)
        guard asked.contains("openid") else { throw refuse(.invalidScope("the scope must include openid")) }
        // RFC 6749 §3.3: the server may grant less than asked; scopes the client may not have are left out.
        var scopes: [String] = []
        for scope in asked where client.scopes.contains(scope) && !scopes.contains(scope) { scopes.append(scope) }
        if !scopes.contains("openid") { scopes.insert("openid", at: 0) }

        var challenge: String?
        if let sent = parameters["code_challenge"] {
            guard parameters["code_challenge_method"] == "S256" else {
                throw refuse(.invalidRequest("code_challenge_method must be S256"))
            }
            guard Self.isPKCEValue(sent, length: 43...43) else { throw refuse(.invalidRequest("code_challenge is not a S256 challenge")) }
            challenge = sent
        } else if client.isPublic || client.requirePKCE {
            throw refuse(.invalidRequest("this client must use PKCE (code_challenge with code_challenge_method=S256)"))
        }

        var prompts: Set<OIDCAuthorizationRequest.Prompt> = []
        for value in (parameters["prompt"] ?? "").split(separator: " ") {
            guard let prompt = OIDCAuthorizationRequest.Prompt(rawValue: String(value)) else {
                throw refuse(.invalidRequest("prompt \(value) is not supported"))
            }
            prompts.insert(prompt)
        }
        if prompts.contains(.none), prompts.count > 1 { throw refuse(.invalidRequest("prompt=none cannot be combined")) }
        var maxAge: Int?
        if let text = parameters["max_age"] {
            guard let value = Int(text), value >= 0 else { throw refuse(.invalidRequest("max_age must be a number of seconds")) }
            maxAge = value
        }
        let signedInAfter = parameters[OIDCAuthorizationRequest.signedInAfterParameter].flatMap(Double.init).map {
            Date(timeIntervalSince1970: $0)
        }
        return OIDCAuthorizationRequest(
            client: client,
            redirectURI: redirectURI,
            state: state,
            responseMode: mode,
            scopes: scopes,
            nonce: parameters["nonce"],
            codeChallenge: challenge,
            prompts: prompts,
            maxAge: maxAge,
            loginHint: parameters["login_hint"].map { String($0.prefix(256)) },
            signedInAfter: signedInAfter
        )
    }

    /// What the authorization endpoint does for a valid request and the browser's session.
    enum AuthorizationStep {
        /// Sign in (again) first, then come back with these parameters.
        case signIn(returnTo: [(String, String)], username: String?)
        case askConsent
        /// The code is made: send the browser back to the client.
        case issue(code: String)
    }

    /// Decides the next step; issues the code when nothing stands in the way.
    func authorize(
        _ request: OIDCAuthorizationRequest,
        session: ActiveSession?,
        consented: Bool,
        clientAddress: String
    ) async throws
        -> AuthorizationStep
    {
        let now = clock.now()
        let signedIn = session.flatMap { $0.isSignedIn ? $0 : nil }
        var needsSignIn = signedIn == nil || request.prompts.contains(.login)
        if let signedIn {
            if let after = request.signedInAfter, signedIn.record.authenticatedAt >= after.addingTimeInterval(-1) {
                // Came back from the sign-in that prompt=login or max_age asked for.
                needsSignIn = false
            } else if let maxAge = request.maxAge, now.timeIntervalSince(signedIn.record.authenticatedAt) > Double(maxAge) {
                needsSignIn = true
            }
        }
        if needsSignIn {
            if request.prompts.contains(.none) {
                throw refuseRedirect(request, OIDCError("login_required", "the user is not signed in at Sekisho"), reason: "login_required")
            }
            let forced = signedIn != nil || request.prompts.contains(.login) || request.maxAge != nil
            return .signIn(returnTo: request.parameters(signedInAfter: forced ? now : nil), username: request.loginHint)
        }
        guard let session = signedIn else { throw refusePage("no_session") }
        let user = session.user
        guard Self.mayUse(request.client, user) else {
            try await store.appendAudit(
                NewAuditEvent(
                    kind: AuditKind.oidcRefused.rawValue,
                    subjectUserID: user.id,
                    username: user.username,
                    clientAddress: clientAddress,
                    detail: "\(request.client.clientID): user not allowed"
                ),
                at: now
            )
            throw refuseRedirect(request, OIDCError("access_denied", "this user may not use this client"), reason: "user_not_allowed")
        }
        if !consented, try await needsConsent(request, user: user) {
            if request.prompts.contains(.none) {
                throw refuseRedirect(request, OIDCError("consent_required", "the user has not consented"), reason: "consent_required")
            }
            return .askConsent
        }
        return .issue(code: try await issueCode(request, session: session, clientAddress: clientAddress))
    }

    /// Records the consent given on the consent page.
    func recordConsent(_ request: OIDCAuthorizationRequest, user: User) async throws {
        try await store.saveOIDCConsent(userID: user.id, clientID: request.client.clientID, scope: request.scope, at: clock.now())
    }

    /// The refusal sent back when the person declines on the consent page.
    func declined(_ request: OIDCAuthorizationRequest) -> AuthorizationRefusal {
        refuseRedirect(request, OIDCError("access_denied", "the user declined"), reason: "consent_declined")
    }

    func needsConsent(_ request: OIDCAuthorizationRequest, user: User) async throws -> Bool {
        if request.client.skipConsent { return false }
        if request.prompts.contains(.consent) { return true }
        let given = Set(
            (try await store.oidcConsent(userID: user.id, clientID: request.client.clientID) ?? "").split(separator: " ").map(String.init)
        )
        return !Set(request.scopes).isSubset(of: given)
    }

    static func mayUse(_ client: OIDCClient, _ user: User) -> Bool {
        switch client.accessPolicy {
        case .everyone: true
        case .admins: user.role == .admin
        case .listed: client.allowedUserIDs.contains(user.id)
        }
    }

    private func issueCode(_ request: OIDCAuthorizationRequest, session: ActiveSession, clientAddress: String) async throws -> String {
        let now = clock.now()
        let code = OpaqueToken.generate()
        let user = session.user
        let grant = OIDCGrant(
            id: OpaqueToken.generate().value,
            clientID: request.client.clientID,
            userID: user.id,
            scope: request.scope,
            authTime: session.record.authenticatedAt,
            amr: Self.amr(session).joined(separator: " "),
            createdAt: now
        )
        let event = NewAuditEvent(
            kind: AuditKind.oidcAuthorized.rawValue,
            subjectUserID: user.id,
            username: user.username,
            clientAddress: clientAddress,
            detail: "\(request.client.clientID): \(request.scope)"
        )
        try await store.createAuthorizationCode(
            NewAuthorizationCode(
                codeHash: code.hash,
                redirectURI: request.redirectURI,
                codeChallenge: request.codeChallenge,
                nonce: request.nonce,
                expiresAt: now.addingTimeInterval(Self.codeLifetime)
            ),
            grant: grant,
            effects: SideEffects(audit: [event])
        )
        metrics.oidcGrant("authorization_code_issued")
        return code.value
    }

    /// How the user signed in (RFC 8176), as the session recorded it. A session begun before
    /// sessions recorded it: the password, and a code when two-factor is on.
    static func amr(_ session: ActiveSession) -> [String] {
        if !session.record.methods.isEmpty { return session.record.methods }
        return session.user.twoFactorEnabled ? SignInMethods.passwordAndCode : SignInMethods.password
    }

    static func acr(amr: [String]) -> String {
        SignInMethods.isMultiFactor(amr) ? "urn:sekisho:acr:2fa" : "urn:sekisho:acr:password"
    }

    /// A refusal shown on our page: `reason` names the metric and the text (`oidc.error.<reason>`).
    private func refusePage(_ reason: String) -> AuthorizationRefusal {
        metrics.oidcRefusal(reason)
        return .page("oidc.error.\(reason)")
    }

    private func refuseRedirect(
        _ mode: OIDCAuthorizationRequest.ResponseMode,
        _ redirectURI: String,
        _ state: String?,
        _ error: OIDCError
    ) -> AuthorizationRefusal {
        metrics.oidcRefusal(error.code)
        return .redirect(mode, redirectURI: redirectURI, state: state, error)
    }

    private func refuseRedirect(_ request: OIDCAuthorizationRequest, _ error: OIDCError, reason: String) -> AuthorizationRefusal {
        metrics.oidcRefusal(reason)
        return .redirect(request.responseMode, redirectURI: request.redirectURI, state: request.state, error)
    }

    /// Whether `value` is made of PKCE's characters (RFC 7636 §4.1: unreserved) with a length in `length`.
    static func isPKCEValue(_ value: String, length: ClosedRange<Int>) -> Bool {
        length.contains(value.utf8.count)
            && value.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x2D || byte == 0x2E
                    || byte == 0x5F || byte == 0x7E
            }
    }

    /// base64url(SHA-256(verifier)): the S256 challenge of a verifier (RFC 7636 §4.2).
    static func challenge(ofVerifier verifier: String) -> String {
        OpaqueToken.base64URLEncode(Array(SHA256.hash(data: Array(verifier.utf8))))
    }
}
