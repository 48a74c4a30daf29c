import Foundation
import SekishoCore
import SekishoStore

extension Console {
    /// `sekisho oidc client add|list|remove`.
    public var oidcClients: OIDCClientRegistration { OIDCClientRegistration(store: store, clock: clock) }

    /// `sekisho oidc rotate-keys`: new signing keys at once; running instances pick them up within
    /// a minute and keep publishing the old ones until the tokens they signed have expired.
    public func rotateOIDCKeys() async throws -> [OIDCSigningKey] {
        try await OIDCKeyRing.rotate(
            store: store,
            box: secretBox,
            at: clock.now(),
            actor: NewAuditEvent(kind: AuditKind.oidcKeysRotated.rawValue, username: "console")
        )
    }
}
