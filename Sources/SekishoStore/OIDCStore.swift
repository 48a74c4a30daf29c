import Foundation

/// What the OpenID provider keeps: signing keys, clients, subjects, consents, and the grants
/// with their codes and tokens. Codes and tokens are stored as SHA-256 hashes only; spending
/// one is a single conditional statement, so that of any number of concurrent requests,
/// processes or instances exactly one succeeds.
public protocol OIDCStore: Sendable {
    // MARK: Signing keys

    /// The signing key of each algorithm and the retired ones retired after `retiredAfter`
    /// (still published so that tokens they signed can be checked), newest first.
    func oidcSigningKeys(retiredAfter: Date) async throws -> [OIDCSigningKey]
    /// Stores `key` as the signing key of its algorithm unless one exists (first start of
    /// several instances at once: one key wins, the others' are dropped). True when stored.
    func addOIDCSigningKeyIfNone(_ key: OIDCSigningKey, effects: SideEffects) async throws -> Bool
    /// Retires the signing key of `key`'s algorithm and makes `key` the new one, in one transaction.
    func rotateOIDCSigningKey(to key: OIDCSigningKey, effects: SideEffects) async throws

    // MARK: Clients

    /// Stores a new client; throws ``StoreError/duplicate(_:)`` when the client ID is taken.
    func addOIDCClient(_ client: OIDCClient, effects: SideEffects) async throws
    func oidcClient(id: String) async throws -> OIDCClient?
    func oidcClients() async throws -> [OIDCClient]
    /// Removes the client with its grants, codes, tokens and consents; false when unknown.
    func removeOIDCClient(id: String, at now: Date, effects: SideEffects) async throws -> Bool
    /// Makes the clients of the configuration file exactly `clients`: added, changed, or removed
    /// when no longer listed. Clients added at the console are left alone; a configuration client
    /// whose ID a console client holds throws ``StoreError/duplicate(_:)``.
    func replaceConfiguredOIDCClients(_ clients: [OIDCClient], at now: Date) async throws

    // MARK: Subjects and consent

    /// The user's `sub`: made from `candidate` the first time, the same forever after (also when
    /// several instances ask at once).
    func oidcSubject(userID: Int64, candidate: String, at now: Date) async throws -> String
    /// The scopes the user consented to for the client, space-separated; nil when never asked.
    func oidcConsent(userID: Int64, clientID: String) async throws -> String?
    func saveOIDCConsent(userID: Int64, clientID: String, scope: String, at now: Date) async throws

    // MARK: Codes and tokens

    /// Stores a new grant with its authorization code.
    func createAuthorizationCode(_ code: NewAuthorizationCode, grant: OIDCGrant, effects: SideEffects) async throws
    /// Spends a code if it is unused, unexpired, of this client, for this redirect URI and with
    /// this PKCE challenge, and stores `tokens` for its grant: one conditional statement decides.
    /// A code spent before revokes its grant (``GrantExchange/replayed(grantID:)``).
    func redeemAuthorizationCode(
        _ presented: CodePresentation,
        at now: Date,
        issuing tokens: IssuedTokens,
        effects: SideEffects
    ) async throws
        -> GrantExchange
    /// Spends a refresh token of `clientID` and stores `tokens` (its successor) for the same grant;
    /// a token spent before revokes the grant, ending the whole family.
    func rotateRefreshToken(
        hash: String,
        clientID: String,
        at now: Date,
        issuing tokens: IssuedTokens,
        effects: SideEffects
    ) async throws
        -> GrantExchange
    /// Stores an access token a client obtained for itself (client credentials).
    func createClientAccessToken(hash: String, clientID: String, scope: String, at now: Date, expiresAt: Date, effects: SideEffects) async throws
    /// A live access token: unexpired, not revoked, its grant not revoked.
    func oidcAccessToken(hash: String, at now: Date) async throws -> OIDCAccessToken?
    /// A live refresh token: unspent, unexpired, its grant not revoked.
    func oidcRefreshToken(hash: String, at now: Date) async throws -> OIDCRefreshToken?
    /// Revokes an access token, or a refresh token with its whole grant (RFC 7009), if it was
    /// issued to `clientID`.
    func revokeOIDCToken(hash: String, clientID: String, at now: Date, effects: SideEffects) async throws -> TokenRevocation
}
