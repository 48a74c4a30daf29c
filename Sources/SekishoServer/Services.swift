import Foundation
import Logging
import SekishoCore
import SekishoStore

/// The rule-holding services and web helpers, wired once from `Dependencies`.
struct Services: Sendable {
    let dependencies: Dependencies
    let renderer: PageRenderer
    let csrf: CSRFProtection
    let sessions: SessionService
    let limiter: AttemptLimiter
    let notices: NoticeMails
    let login: LoginService
    let knownBrowsers: KnownBrowsers
    let rememberedBrowsers: RememberedBrowsers
    let sessionList: SessionListService
    let enrollment: EnrollmentService
    let secondFactor: SecondFactorService
    let account: AccountService
    let reset: ResetLinkService
    let mailSettings: MailSettingsService
    let admin: AdminService
    let setup: SetupService
    let reports: AdminReports
    let outbox: OutboxStatus
    let readiness: ReadinessProbe
    // forward auth (helper)
    let returnPath: ReturnPath
    let forwardAuth: ForwardAuthService
    let oidc: OIDCService
    let oidcClients: OIDCClientRegistration
    let passkeys: PasskeyService
    let passwordless: PasswordlessService
    let authenticators: AuthenticatorService

    static func build(_ dependencies: Dependencies, logger: Logger) async throws -> Services {
        let configuration = dependencies.configuration
        let renderer = try await PageRenderer.load(publicDirectory: configuration.server.publicDirectory)
        let store = dependencies.store
        let clock = dependencies.clock
        let box = dependencies.secretBox
        let notices = NoticeMails(localizer: renderer.localizer, clock: clock)
        let limiter = AttemptLimiter(store: store, clock: clock, settings: configuration.lockout, metrics: dependencies.metrics, notices: notices)
        let sessions = SessionService(
            store: store,
            clock: clock,
            settings: configuration.session,
            secureCookies: configuration.server.isHTTPS,
            metrics: dependencies.metrics,
            cache: configuration.forwardAuth.cacheTTL > 0 ? SessionCache(ttl: configuration.forwardAuth.cacheTTL) : nil
        )
        let mailSettings = MailSettingsService(store: store, secretBox: box, configuration: configuration.mail, clock: clock, logger: logger)
        let outbox = OutboxStatus(store: store)
        let remembered = RememberedBrowsers(store: store, clock: clock, settings: configuration.session, secureCookies: configuration.server.isHTTPS)
        // Verified for unknown users so that they cost the same Argon2id work as known ones.
        let dummyHash = try await dependencies.hasher.hash(OpaqueToken.generate().value)
        let keys = OIDCKeyRing(store: store, box: box, clock: clock)
        let ceremony = PasskeyCeremony(
            store: store,
            clock: clock,
            relyingParty: PasskeyService.relyingParty(baseURL: configuration.baseURL),
            logger: logger
        )
        let account = AccountService(
            store: store,
            hasher: dependencies.hasher,
            secretBox: box,
            clock: clock,
            policy: dependencies.passwordPolicy,
            limiter: limiter,
            notices: notices
        )
        return Services(
            dependencies: dependencies,
            renderer: renderer,
            csrf: CSRFProtection(secretBox: box),
            sessions: sessions,
            limiter: limiter,
            notices: notices,
            login: LoginService(
                store: store,
                hasher: dependencies.hasher,
                limiter: limiter,
                sessions: sessions,
                remembered: remembered,
                clock: clock,
                dummyHash: dummyHash
            ),
            knownBrowsers: KnownBrowsers(
                store: store,
                clock: clock,
                notices: notices,
                sessionsLink: configuration.baseURL + "/#sessions",
                secureCookies: configuration.server.isHTTPS
            ),
            rememberedBrowsers: remembered,
            sessionList: SessionListService(store: store, sessions: sessions),
            enrollment: EnrollmentService(
                store: store,
                secretBox: box,
                clock: clock,
                settings: configuration.totp,
                limiter: limiter,
                sessions: sessions
            ),
            secondFactor: SecondFactorService(
                store: store,
                secretBox: box,
                clock: clock,
                window: configuration.totp.window,
                limiter: limiter,
                notices: notices,
                sessions: sessions
            ),
            account: account,
            reset: ResetLinkService(
                store: store,
                clock: clock,
                localizer: renderer.localizer,
                notices: notices,
                publicURL: configuration.server.publicURL,
                allowedHosts: configuration.server.allowedHosts,
                logger: logger,
                seal: OutboxSeal(box: box),
                outbox: outbox
            ),
            mailSettings: mailSettings,
            admin: AdminService(
                store: store,
                hasher: dependencies.hasher,
                clock: clock,
                users: dependencies.userService,
                mailSettings: mailSettings,
                notices: notices
            ),
            setup: SetupService(
                store: store,
                hasher: dependencies.hasher,
                clock: clock,
                policy: dependencies.passwordPolicy,
                mailSettings: mailSettings
            ),
            reports: AdminReports(store: store, clock: clock),
            outbox: outbox,
            readiness: ReadinessProbe(store: store, clock: clock),
            // forward auth (helper)
            returnPath: ReturnPath(allowedDomains: configuration.forwardAuth.allowedDomains),
            forwardAuth: ForwardAuthService(
                sessions: sessions,
                rules: configuration.forwardAuth.rules,
                trustedProxies: configuration.server.trustedProxies,
                publicURL: configuration.server.publicURL
            ),
            oidc: OIDCService(
                store: store,
                clock: clock,
                keys: keys,
                issuer: configuration.baseURL,
                metrics: dependencies.metrics,
                logger: logger
            ),
            oidcClients: OIDCClientRegistration(store: store, clock: clock),
            passkeys: PasskeyService(
                store: store,
                clock: clock,
                ceremony: ceremony,
                sessions: sessions,
                account: account,
                notices: notices,
                logger: logger
            ),
            passwordless: PasswordlessService(
                store: store,
                clock: clock,
                ceremony: ceremony,
                sessions: sessions,
                limiter: limiter,
                logger: logger
            ),
            authenticators: AuthenticatorService(
                store: store,
                secretBox: box,
                clock: clock,
                settings: configuration.totp,
                limiter: limiter,
                account: account,
                notices: notices
            )
        )
    }

    /// The worker that drains the mail outbox.
    func outboxWorker(logger: Logger, pollInterval: Duration = .seconds(2)) -> OutboxWorker {
        let settings = mailSettings
        return OutboxWorker(
            store: store,
            clock: clock,
            transport: { try await settings.transport() },
            sender: { try await settings.sender() },
            pollInterval: pollInterval,
            metrics: dependencies.metrics,
            logger: logger,
            seal: OutboxSeal(box: dependencies.secretBox)
        )
    }

    /// The origin of our pages when a public URL is configured (for the Origin checks).
    var expectedOrigin: String? {
        dependencies.configuration.server.publicURL.map { url in
            ("\(url.scheme ?? "https")://\(url.host ?? "")" + (url.port.map { ":\($0)" } ?? "")).lowercased()
        }
    }

    var store: any Store { dependencies.store }
    var clock: any WallClock { dependencies.clock }
    /// Times on the admin pages, in `server.time_zone`.
    var operatorTime: OperatorTime { OperatorTime(zone: dependencies.configuration.server.timeZone) }
}
