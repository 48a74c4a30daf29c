import Foundation
import Prometheus
import SekishoCore
import SekishoStore

/// The authenticators of an account (issue #15 item 3): its authenticator apps and passkeys,
/// listed on the dashboard and on the administrator's page of the user. One more app is added
/// after a fresh password check and confirmed by one code from it, beside the others; any
/// authenticator can be renamed and removed. Removing the last one while two-factor is on is a
/// reset: the next sign-in enrolls again.
struct AuthenticatorService: Sendable {
    static let maximumNameLength = 64
    /// How long the page of a new app can be answered.
    static let enrollmentLifetime: TimeInterval = 10 * 60

    let store: any Store
    let secretBox: SecretBox
    let clock: any WallClock
    let settings: SekishoConfiguration.TOTPSettings
    let limiter: AttemptLimiter
    let account: AccountService
    let notices: NoticeMails

    enum Refusal: Error, Equatable {
        case wrongPassword
        case locked
        case badName
        case wrongCode
        /// The new app's page expired, or was confirmed in another tab.
        case expired
        case notFound
        /// The account has ``maximumApps`` apps already.
        case tooManyApps
    }

    /// The lockout's bound (README, "Security"): an attacker who knows the password gets at most
    /// `guessesPerDay` code guesses a day, and each guess must stay below 0.1 % a day. Every app
    /// adds the codes of its window to what one guess can hit, so an account may have as many apps
    /// as keep the day's chance under that target: 3 with the default window (±1) and lockout, 1
    /// with a window of ±2. At least 1. Passkeys cannot be guessed and do not count.
    static func maximumApps(window: Int, guessesPerDay: Int) -> Int {
        let recoveryCodes = Double(RecoveryCodes.count) / pow(10, Double(RecoveryCodes.digits))
        func chancePerDay(_ apps: Int) -> Double {
            let perGuess = Double(apps * (2 * window + 1)) / 1_000_000 + recoveryCodes
            return 1 - pow(1 - perGuess, Double(guessesPerDay))
        }
        var apps = 1
        while chancePerDay(apps + 1) < 0.001 { apps += 1 }
        return apps
    }

    var maximumApps: Int {
        Self.maximumApps(window: settings.window, guessesPerDay: limiter.accountPolicy.maximumAttempts(within: 86_400))
    }

    /// One line of the list.
    struct Entry: Sendable {
        enum Kind: String, Sendable {
            case app
            case passkey
        }

        let kind: Kind
        /// The id in the authenticator's URLs: a binding's id or a passkey's number.
        let id: String
        /// Empty for apps bound before names existed; pages show "Authenticator app".
        let name: String
        let addedAt: Date
        let lastUsedAt: Date?
        /// Assertions refused because the counter went back (passkeys only).
        let counterRegressions: Int

        var authenticatorID: AuthenticatorID {
            switch kind {
            case .app: .app(id)
            case .passkey: .passkey(Int64(id) ?? -1)
            }
        }
    }

    /// The user's apps and passkeys, oldest first.
    func list(of user: User) async throws -> [Entry] {
        try await Self.list(of: user, in: store)
    }

    static func list(of user: User, in store: any Store) async throws -> [Entry] {
        let apps = try await store.bindings(userID: user.id).map { binding in
            Entry(kind: .app, id: binding.id, name: binding.name, addedAt: binding.confirmedAt, lastUsedAt: binding.lastUsedAt, counterRegressions: 0)
        }
        let keys = try await store.passkeys(userID: user.id).map { key in
            Entry(
                kind: .passkey,
                id: String(key.id),
                name: key.name,
                addedAt: key.createdAt,
                lastUsedAt: key.lastUsedAt,
                counterRegressions: key.counterRegressions
            )
        }
        return (apps + keys).sorted { $0.addedAt < $1.addedAt }
    }

    /// The authenticator that `kind` and `id` (from a URL) name, if the user has it.
    func entry(of user: User, kind: String, id: String) async throws -> Entry? {
        try await list(of: user).first { $0.kind.rawValue == kind && $0.id == id }
    }

    /// A name as typed: trimmed, 1 to 64 characters, no control characters; nil otherwise.
    static func acceptableName(_ raw: String) -> String? {
        let name = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...maximumNameLength).contains(name.count), !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else { return nil }
        return name
    }

    // MARK: Adding an app

    /// After the current password is confirmed: a new secret for one more app, pending for this
    /// session until one code from the app confirms it.
    func beginApp(session: ActiveSession, password: String, clientAddress: String) async throws -> EnrollmentService.Enrollment {
        let charge: AttemptCharge
        do {
            charge = try await account.confirmPassword(session: session, password: password, clientAddress: clientAddress)
        } catch AccountService.Refusal.locked {
            throw Refusal.locked
        } catch AccountService.Refusal.wrongPassword {
            throw Refusal.wrongPassword
        }
        // Said before the app is scanned; the store decides again when the code confirms it.
        guard try await store.bindings(userID: session.user.id).count < maximumApps else {
            try await store.appendEffects(SideEffects(attempt: .refund(charge)), at: clock.now())
            throw Refusal.tooManyApps
        }
        let now = clock.now()
        let secret = TOTPSecret.generate(byteCount: settings.secretBytes)
        let id = OpaqueToken.generate().value
        try await store.savePendingEnrollment(
            PendingEnrollment(
                id: id,
                userID: session.user.id,
                sessionIDHash: session.record.idHash,
                sealedSecret: Data(try secretBox.seal(secret, context: EnrollmentService.context(id))),
                algorithm: settings.algorithm,
                digits: settings.digits,
                period: settings.period,
                createdAt: now,
                expiresAt: min(now.addingTimeInterval(Self.enrollmentLifetime), session.record.expiresAt)
            )
        )
        // The right password's charge is taken back once the pending app is stored.
        try await store.appendEffects(SideEffects(attempt: .refund(charge)), at: now)
        return try enrollment(secret: secret, user: session.user)
    }

    /// The pending app of this session, to show its page again (after a wrong code).
    func pendingApp(session: ActiveSession) async throws -> EnrollmentService.Enrollment? {
        guard let pending = try await store.pendingEnrollment(userID: session.user.id, sessionIDHash: session.record.idHash, at: clock.now())
        else { return nil }
        let secret = try secretBox.open([UInt8](pending.sealedSecret), context: EnrollmentService.context(pending.id))
        return try enrollment(secret: secret, user: session.user)
    }

    /// Confirms the pending app of this session with one code from it: a new binding beside the
    /// user's others, with its notice mail and audit event, in one transaction.
    func confirmApp(session: ActiveSession, name rawName: String, code: String, clientAddress: String) async throws -> TOTPBinding {
        guard let name = Self.acceptableName(rawName) else { throw Refusal.badName }
        let user = session.user
        let check = PendingEnrollmentCheck(store: store, secretBox: secretBox, clock: clock, settings: settings, limiter: limiter)
        let pendingID: String
        let binding: TOTPBinding
        let charge: AttemptCharge
        switch try await check.check(code, session: session, name: name, clientAddress: clientAddress) {
        case .expired: throw Refusal.expired
        case .locked: throw Refusal.locked
        case .wrongCode: throw Refusal.wrongCode
        case .right(let id, let made, let taken): (pendingID, binding, charge) = (id, made, taken)
        }
        let effects = SideEffects(
            mails: [notices.mail(.authenticatorAdded, to: user, values: ["name": name])],
            audit: [
                NewAuditEvent(
                    kind: AuditKind.authenticatorAppAdded.rawValue,
                    actorUserID: user.id,
                    subjectUserID: user.id,
                    username: user.username,
                    clientAddress: clientAddress,
                    detail: name
                )
            ],
            attempt: .refund(charge)
        )
        switch try await store.addBinding(enrollmentID: pendingID, binding: binding, maximumApps: maximumApps, effects: effects) {
        case .added: break
        case .expired: throw Refusal.expired
        case .full: throw Refusal.tooManyApps
        }
        limiter.metrics.codesOK.increment()
        return binding
    }

    private func enrollment(secret: [UInt8], user: User) throws -> EnrollmentService.Enrollment {
        let uri = try OTPAuthURI(
            issuer: settings.issuer,
            account: user.username,
            secret: secret,
            algorithm: OTPAlgorithm(rawValue: settings.algorithm) ?? .sha1,
            digits: settings.digits,
            period: settings.period
        ).uriString
        return EnrollmentService.Enrollment(key: Base32.encode(secret), uri: uri, qrSVG: try QRCode.svg(for: uri))
    }

    // MARK: Renaming and removing

    func rename(_ entry: Entry, of user: User, to rawName: String, clientAddress: String) async throws {
        guard let name = Self.acceptableName(rawName) else { throw Refusal.badName }
        let event = NewAuditEvent(
            kind: AuditKind.authenticatorRenamed.rawValue,
            actorUserID: user.id,
            subjectUserID: user.id,
            username: user.username,
            clientAddress: clientAddress,
            detail: "\(entry.kind.rawValue): \(entry.name) → \(name)"
        )
        guard
            try await store.renameAuthenticator(
                entry.authenticatorID,
                userID: user.id,
                name: name,
                at: clock.now(),
                effects: SideEffects(audit: [event])
            )
        else { throw Refusal.notFound }
    }

    /// Removes one of `user`'s authenticators, by the user (`actor` nil) or by an administrator.
    /// ``AuthenticatorRemoval/removedLast`` when it was the last one and two-factor is on: the
    /// user's second factor was reset and their sessions ended.
    func remove(_ entry: Entry, of user: User, actor: User?, clientAddress: String) async throws -> AuthenticatorRemoval {
        let effects = Self.removalEffects(
            entry.authenticatorID,
            name: entry.name.isEmpty ? "TOTP" : entry.name,
            of: user,
            actor: actor ?? user,
            clientAddress: clientAddress,
            notices: notices
        )
        return try await store.removeAuthenticator(
            entry.authenticatorID,
            userID: user.id,
            at: clock.now(),
            effects: effects.others,
            lastOneEffects: effects.last
        )
    }

    /// The mails and audit events of a removal: `others` when authenticators remain, `last` when
    /// it was the last one and the removal resets the second factor.
    static func removalEffects(
        _ authenticator: AuthenticatorID,
        name: String,
        of user: User,
        actor: User?,
        clientAddress: String,
        notices: NoticeMails
    ) -> (others: SideEffects, last: SideEffects) {
        let kind: AuditKind
        let detail: String
        switch authenticator {
        case .app: (kind, detail) = (.authenticatorAppRemoved, name)
        case .passkey(let id): (kind, detail) = (.passkeyRemoved, "\(name) (\(id))")
        }
        // An administrator's removal names them; `actor` nil is the operator at the console.
        let byAdministrator = actor.map { $0.id != user.id ? " by \($0.username)" : "" } ?? " at the console"
        func event(_ kind: AuditKind) -> NewAuditEvent {
            NewAuditEvent(
                kind: kind.rawValue,
                actorUserID: actor?.id,
                subjectUserID: user.id,
                username: user.username,
                clientAddress: clientAddress,
                detail: detail + byAdministrator
            )
        }
        let others = SideEffects(mails: [notices.mail(.authenticatorRemoved, to: user, values: ["name": name])], audit: [event(kind)])
        let last = SideEffects(
            mails: [notices.mail(.lastAuthenticatorRemoved, to: user, values: ["name": name])],
            audit: [event(kind), event(.lastAuthenticatorRemoved)]
        )
        return (others, last)
    }
}
