import Foundation

/// The browsers an account signs in from (issue #16): the ones it has completed a sign-in from,
/// known by a long-lived identifier cookie, and the ones it lets skip the second factor. Both are
/// stored by the SHA-256 of their cookie only.
public protocol BrowserStore: Sendable {
    /// Records that the account completed a sign-in from the browser `browserHash`. The first time
    /// for this account, and only then, `effectsIfNew` (the new-browser notice) are written in the
    /// same transaction, unless it is the account's first browser (its first sign-in ever): true
    /// when they were. Of concurrent callers with the same browser at most one gets true.
    func recordKnownBrowser(userID: Int64, browserHash: String, at now: Date, effectsIfNew: SideEffects) async throws -> Bool

    func rememberBrowser(_ browser: RememberedBrowser, effects: SideEffects) async throws
    /// Uses a remembered browser instead of the second factor, in one transaction: when
    /// `tokenHash` is remembered for `userID` (never for another account) and unexpired at `now`,
    /// its use is recorded, `startingSession` begins and `effects` are written; otherwise nothing
    /// changes. A browser forgotten meanwhile is refused.
    func useRememberedBrowser(
        tokenHash: String,
        userID: Int64,
        at now: Date,
        startingSession: SessionStart,
        effects: SideEffects
    ) async throws -> Bool
    /// The user's unexpired remembered browsers, the newest first.
    func rememberedBrowsers(userID: Int64, at now: Date) async throws -> [RememberedBrowser]
    /// Forgets the remembered browser of `userID` whose ``RememberedBrowser/handle`` is `handle`.
    func forgetRememberedBrowser(userID: Int64, handle: String, at now: Date, effects: SideEffects) async throws -> Bool
    /// Forgets every remembered browser of the user; returns how many.
    func forgetRememberedBrowsers(userID: Int64, at now: Date, effects: SideEffects) async throws -> Int
}
