import Foundation
import SekishoCore

/// Everything Sekisho keeps. SQLite (`SQLiteStore`) by default; a PostgreSQL implementation
/// follows the same contract so several instances can share state.
///
/// Rules that must hold across processes (replay guard, single-use codes and tokens) are single
/// conditional statements in the implementations, never read-then-write in Swift.
public protocol Store: UserStore, SecondFactorStore, SessionStore, AttemptStore, OutboxStore, AuditStore, SettingStore, ResetTokenStore,
    AdminTokenStore, OIDCStore, PasskeyStore, BrowserStore
{
    /// Creates or upgrades the schema; safe to run on an already migrated database.
    func migrate() async throws
    /// Answers when the database can be read (for `/readyz`).
    func ping() async throws
    /// How the latest writes went (for `/readyz`: reads may work while writes fail).
    var writeHealth: WriteHealth { get }
    /// Where the data lives, for operators (a path or a URL without password).
    var location: String { get }
    /// Removes what has expired: sessions, enrollments, used or expired tokens, forgotten attempt
    /// counters, audit events before `auditBefore`, delivered mails before `mailBefore`.
    /// Returns how many rows went.
    func purgeExpired(at now: Date, auditBefore: Date, mailBefore: Date) async throws -> Int
}

public protocol UserStore: Sendable {
    func createUser(_ user: NewUser, at now: Date, effects: SideEffects) async throws -> User
    func user(id: Int64) async throws -> User?
    func user(username: String) async throws -> User?
    func userCount() async throws -> Int
    /// A new password; the user's remembered browsers are forgotten in the same transaction.
    func updatePasswordHash(userID: Int64, hash: String, at now: Date, effects: SideEffects) async throws
    /// The same password hashed again with stronger parameters: nothing else changes.
    func upgradePasswordHash(userID: Int64, hash: String, at now: Date) async throws
    /// Turning two-factor off forgets the user's remembered browsers in the same transaction.
    func setTwoFactorEnabled(userID: Int64, enabled: Bool, at now: Date, effects: SideEffects) async throws
    func recordSignIn(userID: Int64, at now: Date, effects: SideEffects) async throws
    /// Users whose user ID, name or mail address contains `search` (case-insensitive), by user ID.
    func listUsers(search: String?, limit: Int, offset: Int, at now: Date) async throws -> [UserSummary]
    func countUsers(search: String?) async throws -> Int
    func countAdmins() async throws -> Int
    /// Changes name, mail, role and the two-factor switch (off forgets the remembered browsers).
    /// Refuses (returns false) to remove the last administrator, checked in the same transaction.
    func updateProfile(
        userID: Int64,
        displayName: String,
        email: String,
        role: User.Role,
        twoFactorEnabled: Bool,
        at now: Date,
        effects: SideEffects
    )
        async throws -> Bool
    /// Deletes the user with everything that belongs to them; refuses the last administrator.
    func deleteUser(userID: Int64, at now: Date, effects: SideEffects) async throws -> Bool
    /// Changes a user ID (moving stored names to the form they are now compared in); throws
    /// ``StoreError/duplicate(_:)`` when another user has it, ``StoreError/notFound(_:)`` when the user is gone.
    func renameUser(userID: Int64, to username: String, at now: Date, effects: SideEffects) async throws
}

public protocol SecondFactorStore: Sendable {
    /// The user's authenticator apps, oldest first: the order a code is checked in.
    func bindings(userID: Int64) async throws -> [TOTPBinding]
    /// True when the user has an authenticator app or a passkey: a sign-in asks for it rather
    /// than enrolling one.
    func hasAuthenticator(userID: Int64) async throws -> Bool
    /// Stores a new pending enrollment; any other pending enrollment of the user is discarded (S5).
    func savePendingEnrollment(_ enrollment: PendingEnrollment) async throws
    func pendingEnrollment(userID: Int64, sessionIDHash: String, at now: Date) async throws -> PendingEnrollment?
    /// Confirms the enrollment of a sign-in in one transaction: the user's old apps are replaced
    /// (S13), the pending row removed, a new set of recovery codes replaces all old ones, and
    /// `startingSession` (if any) begins. Returns false, changing nothing, when the pending
    /// enrollment no longer exists (confirmed meanwhile, or abandoned).
    func confirmEnrollment(
        enrollmentID: String,
        binding: TOTPBinding,
        recoveryCodeHashes: [String],
        startingSession: SessionStart?,
        effects: SideEffects
    ) async throws -> Bool
    /// Confirms the enrollment of one more app (from the dashboard) in one transaction: the
    /// binding is added beside the user's others, the pending row removed, `effects` written;
    /// recovery codes, sessions and the other apps stay. Changes nothing when the pending
    /// enrollment no longer exists, or when the user has `maximumApps` apps already.
    func addBinding(enrollmentID: String, binding: TOTPBinding, maximumApps: Int, effects: SideEffects) async throws -> BindingAddition
    /// Renames one of the user's authenticators; false when the user has none with that id.
    func renameAuthenticator(_ authenticator: AuthenticatorID, userID: Int64, name: String, at now: Date, effects: SideEffects) async throws -> Bool
    /// The replay guard of one binding and the sign-in it grants, in one transaction: when `gate`
    /// (if any) lets the guess through and `step` is greater than the binding's stored one, it
    /// becomes `last_step` (and `drift` the binding's learned drift, `now` its last use), the
    /// account's series of failures ends, `startingSession` (if any) begins and `effects` are
    /// written; otherwise nothing changes. ``CodeSpend/spent`` for exactly one of any number of
    /// concurrent callers with the same binding and step. No code is spent without its sign-in.
    func spendCode(
        userID: Int64,
        bindingID: String,
        step: Int64,
        drift: Int,
        at now: Date,
        gate: AttemptGate?,
        startingSession: SessionStart?,
        effects: SideEffects
    ) async throws -> CodeSpend
    /// Removes all of the user's authenticators (apps and passkeys) and recovery codes (reset,
    /// S9), ends the user's sessions and forgets their remembered browsers.
    func removeBinding(userID: Int64, at now: Date, effects: SideEffects) async throws
    /// Removes one authenticator (an app or a passkey) of the user, writing `effects`. When it was
    /// the user's last one and two-factor is on, the same transaction does what a reset does
    /// (see ``removeBinding(userID:at:effects:)``) and writes `lastOneEffects` instead: the next
    /// sign-in enrolls again. Whether it was the last is decided inside the transaction, with
    /// the user's row locked, so removals at the same moment cannot leave two-factor on with
    /// nothing to answer it.
    func removeAuthenticator(
        _ authenticator: AuthenticatorID,
        userID: Int64,
        at now: Date,
        effects: SideEffects,
        lastOneEffects: SideEffects
    ) async throws -> AuthenticatorRemoval
    /// Replaces all recovery codes of the user (S12): old ones stop working at once, used or not.
    func replaceRecoveryCodes(userID: Int64, hashes: [String], at now: Date, effects: SideEffects) async throws
    /// Marks one unused recovery code as used and begins `startingSession` (if any), in one
    /// transaction; true for exactly one caller.
    func consumeRecoveryCode(userID: Int64, hash: String, at now: Date, startingSession: SessionStart?, effects: SideEffects) async throws -> Bool
    func unusedRecoveryCodeCount(userID: Int64) async throws -> Int
}

/// One authenticator of a user: an app (a TOTP binding) or a passkey.
public enum AuthenticatorID: Sendable, Equatable {
    case app(String)
    case passkey(Int64)
}

/// What ``SecondFactorStore/removeAuthenticator(_:userID:at:effects:lastOneEffects:)`` did.
public enum AuthenticatorRemoval: Sendable, Equatable {
    /// The user has no such authenticator; nothing changed.
    case notFound
    /// Removed; others remain, or two-factor is off.
    case removed
    /// Removed the last one while two-factor was on: the user's second factor was reset.
    case removedLast
}

extension SecondFactorStore {
    /// The user's oldest app, if any.
    public func binding(userID: Int64) async throws -> TOTPBinding? {
        try await bindings(userID: userID).first
    }

    /// ``spendCode(userID:bindingID:step:drift:at:gate:startingSession:effects:)`` without a
    /// lockout gate or drift; true when the step was spent.
    public func advanceLastStep(
        userID: Int64,
        bindingID: String,
        to step: Int64,
        at now: Date,
        startingSession: SessionStart?,
        effects: SideEffects
    ) async throws -> Bool {
        try await spendCode(
            userID: userID,
            bindingID: bindingID,
            step: step,
            drift: 0,
            at: now,
            gate: nil,
            startingSession: startingSession,
            effects: effects
        ) == .spent
    }

    public func advanceLastStep(userID: Int64, bindingID: String, to step: Int64, at now: Date, effects: SideEffects) async throws -> Bool {
        try await advanceLastStep(userID: userID, bindingID: bindingID, to: step, at: now, startingSession: nil, effects: effects)
    }

    public func consumeRecoveryCode(userID: Int64, hash: String, at now: Date, effects: SideEffects) async throws -> Bool {
        try await consumeRecoveryCode(userID: userID, hash: hash, at: now, startingSession: nil, effects: effects)
    }

    public func confirmEnrollment(
        enrollmentID: String,
        binding: TOTPBinding,
        recoveryCodeHashes: [String],
        effects: SideEffects
    ) async throws
        -> Bool
    {
        try await confirmEnrollment(
            enrollmentID: enrollmentID,
            binding: binding,
            recoveryCodeHashes: recoveryCodeHashes,
            startingSession: nil,
            effects: effects
        )
    }
}

public protocol SessionStore: Sendable {
    /// Stores `new` and deletes the session `replacing` (if any) in one transaction: the session id
    /// changes at every change of privilege. A signed-in session also records the user's last
    /// sign-in in that transaction (one commit, not two, on the path of every sign-in).
    func createSession(_ new: SessionRecord, replacing oldIDHash: String?, effects: SideEffects) async throws
    func session(idHash: String) async throws -> SessionRecord?
    /// The session and its user in one indexed query: the hot path of every signed-in request.
    func sessionWithUser(idHash: String) async throws -> (session: SessionRecord, user: User)?
    func touchSession(idHash: String, at now: Date) async throws
    func deleteSession(idHash: String, at now: Date, effects: SideEffects) async throws
    /// Ends every session of the user except `keeping` (after a password change or a reset).
    func deleteSessions(userID: Int64, keeping idHash: String?) async throws
    /// The user's signed-in sessions (not the half-way ones), the most recently seen first;
    /// expired ones too, until they are purged: the caller knows the idle limit.
    func signedInSessions(userID: Int64) async throws -> [SessionRecord]
    /// Ends the session of `userID` whose ``SessionRecord/handle`` is `handle`, writing `effects`
    /// only when it ended one. A handle of another user's session ends nothing.
    func endSession(userID: Int64, handle: String, at now: Date, effects: SideEffects) async throws -> Bool
    /// Ends every session of the user except `keeping`, with `effects`; returns how many ended.
    func endSessions(userID: Int64, keeping idHash: String?, at now: Date, effects: SideEffects) async throws -> Int
    func deleteExpiredSessions(before now: Date) async throws -> Int
}

public protocol AttemptStore: Sendable {
    func attempt(scope: AttemptRecord.Scope, key: String) async throws -> AttemptRecord?
    /// Charges one attempt to the account and to the client address before the guess is checked:
    /// counted as a failure, with the wait it earns under each policy, only if neither has to wait
    /// at `now`. Returns nil, and changes nothing, when one of them has to wait: the guess is then
    /// refused unchecked. Atomic across requests, processes and instances; a right guess settles
    /// the charge with the change it allows (``SideEffects/attempt``).
    func chargeAttempt(
        account: String,
        address: String,
        at now: Date,
        accountPolicy: LockoutPolicy,
        addressPolicy: LockoutPolicy
    ) async throws -> AttemptCharge?
    /// Forgets the series of one account or address (an administrator's unlock).
    func clearFailures(scope: AttemptRecord.Scope, key: String) async throws
}

public protocol OutboxStore: Sendable {
    func enqueueMail(_ mail: NewOutboxMail, at now: Date) async throws -> Int64
    /// Takes up to `limit` due mails for `lease`, so that two workers never send the same mail.
    func claimDueMails(at now: Date, lease: TimeInterval, limit: Int) async throws -> [OutboxMail]
    func markMailSent(id: Int64, at now: Date) async throws
    func markMailRetry(id: Int64, error: String, nextTryAt: Date) async throws
    func markMailFailed(id: Int64, error: String, at now: Date) async throws
    func outboxMails(limit: Int) async throws -> [OutboxMail]
}

public protocol AuditStore: Sendable {
    func appendAudit(_ event: NewAuditEvent, at now: Date) async throws
    /// Writes the audit events and mails of something that changed nothing else (a refused guess
    /// and the lockout notice it brings), in one transaction.
    func appendEffects(_ effects: SideEffects, at now: Date) async throws
    func auditEvents(userID: Int64?, kind: String?, limit: Int, offset: Int) async throws -> [AuditEvent]
    /// How many events of each of `kinds` fell into each `bucket`-long interval from `start` (included) to `end`
    /// (excluded), for the charts of `/admin/system`; intervals without events are left out. One `GROUP BY` over the
    /// `at` index, however many events there are.
    func auditCounts(kinds: [String], from start: Date, to end: Date, bucket: TimeInterval) async throws -> [AuditCount]
}

public protocol SettingStore: Sendable {
    func setting(_ key: String) async throws -> String?
    func setSetting(_ key: String, value: String?, at now: Date, effects: SideEffects) async throws
}

public protocol ResetTokenStore: Sendable {
    /// Stores a reset token (its SHA-256 only); older unused tokens of the user are voided, so only
    /// the newest link works. The mail travels in the same transaction.
    func createResetToken(hash: String, userID: Int64, at now: Date, expiresAt: Date, effects: SideEffects) async throws
    /// How many reset links the user asked for since `since` (rate limit).
    func resetTokenCount(userID: Int64, since: Date) async throws -> Int
    /// The user of a token that is unused and unexpired; nil otherwise. Changes nothing.
    func resetTokenUser(hash: String, at now: Date) async throws -> Int64?
    /// Uses the token once and, in the same transaction, removes the user's binding, recovery
    /// codes, pending enrollments and sessions. Returns the user, or nil if the token was not
    /// usable (unknown, used, expired) — for exactly one of any number of concurrent callers. The
    /// token fixes the user, so the caller builds the notice mail from `resetTokenUser` first.
    func consumeResetToken(hash: String, at now: Date, effects: SideEffects) async throws -> Int64?
}

/// When a store writes `api_token.last_used_at`: at most once a minute, which is all an
/// administrator needs, instead of a commit per API call.
enum APITokenUse {
    static let resolution: TimeInterval = 60

    static func isWorthRecording(lastUsed: Double?, at now: Date) -> Bool {
        lastUsed.map { now.timeIntervalSince1970 - $0 >= resolution } ?? true
    }
}

public protocol AdminTokenStore: Sendable {
    func createSetupToken(hash: String, at now: Date, expiresAt: Date) async throws
    /// Uses the setup token and creates the first administrator in one transaction; nil when the
    /// token is not usable or users exist already.
    func consumeSetupToken(hash: String, creating user: NewUser, at now: Date, effects: SideEffects) async throws -> User?
    func setupTokenIsUsable(hash: String, at now: Date) async throws -> Bool
    func createAPIToken(hash: String, name: String, userID: Int64, at now: Date, effects: SideEffects) async throws
    /// The user an API token acts for; records its use.
    func apiTokenUser(hash: String, at now: Date) async throws -> User?
}
