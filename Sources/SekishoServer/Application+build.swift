import Foundation
import Hummingbird
import Logging
import NIOCore
import SekishoStore

/// Builds the whole server. `sekisho serve` and every test call this same function.
public func buildApplication(_ dependencies: Dependencies, logger: Logger) async throws -> some ApplicationProtocol {
    let configuration = dependencies.configuration
    let store = dependencies.store
    // Before anything runs: requests and the outbox worker only ever see the current schema.
    do {
        try await store.migrate()
    } catch let error as StoreError {
        // An unreachable server or wrong credentials: say so at start-up, not on the first request.
        throw StartupError("cannot use the database \(store.location): \(error)", exitCode: 1)
    }
    logger.info("database ready", metadata: ["database": "\(store.location)"])
    try await UserNameMigration.run(store: store, clock: dependencies.clock, logger: logger)
    let services = try await Services.build(dependencies, logger: logger)
    if let configured = configuration.oidcClients {
        try await applyConfiguredOIDCClients(configured, services.oidcClients, logger: logger)
    }
    let router = buildRouter(services)
    let headerTimeout = TimeAmount.milliseconds(Int64(configuration.server.headerTimeout * 1000))
    let bodyTimeout = TimeAmount.milliseconds(Int64(configuration.server.bodyTimeout * 1000))
    let connections = ConnectionLimit(
        maximum: ConnectionLimit.effectiveMaximum(configured: configuration.server.maxConnections),
        logger: logger
    )
    if connections.maximum < configuration.server.maxConnections {
        logger.notice(
            "serving at most \(connections.maximum) connections (server.max_connections \(configuration.server.maxConnections) lowered to keep descriptors free; raise the hard limit with ulimit -Hn or LimitNOFILE=)"
        )
    }
    var app = Application(
        router: router,
        server: .http1(
            configuration: .init(
                additionalChannelHandlers: [
                    connections.handler(), RequestHeadTimeoutHandler(timeout: headerTimeout), RequestBodyTimeoutHandler(timeout: bodyTimeout),
                    HostHeaderValidator.Installer(),
                ],
                idleTimeout: .milliseconds(Int64(configuration.server.idleTimeout * 1000))
            )
        ),
        configuration: .init(address: .hostname(configuration.server.host, port: configuration.server.port), serverName: "Sekisho"),
        logger: logger
    )
    if configuration.clock.check {
        // S11: before any request, and before a setup link is made and printed, compare our clock with NTP;
        // `refuse` ends start-up here (exit 3), so a refused start leaves no usable link behind.
        let check = ClockCheck(
            settings: ClockCheckSettings(configuration.clock, totpPeriod: Double(configuration.totp.period)),
            logger: Logger(label: "sekisho.clock")
        )
        try await check.runAtStartup(recordingIn: dependencies.clockStatus)
        app.addServices(ClockCheckService(check: check, status: dependencies.clockStatus))
    }
    if configuration.mail.transport == .file, try await services.mailSettings.smtpSettings() == nil {
        logger.notice("mail goes to .eml files in \(configuration.mail.directory) (development transport); configure SMTP for real delivery")
    }
    let base = configuration.baseURL
    if let link = try await services.setup.linkIfNeeded(base: base) {
        // Printed as well as logged: the operator starting Sekisho the first time is looking at the terminal.
        print("No users yet. Create the first administrator within one hour at:\n  \(link)")
        logger.notice("no users yet: first-administrator setup link created (valid 1 hour, printed on standard output)")
    }
    if configuration.mail.worker {
        app.addServices(services.outboxWorker(logger: logger))
    }
    app.addServices(
        MaintenanceService(
            store: store,
            clock: dependencies.clock,
            auditRetention: configuration.auditRetention,
            interval: .seconds(3600),
            logger: logger
        )
    )
    return app
}

/// The routes and middleware, without a server.
func buildRouter(_ services: Services) -> Router<SekishoRequestContext> {
    let dependencies = services.dependencies
    let configuration = dependencies.configuration
    // HEAD answers like GET without the body (RFC 9110 §9.3.2): monitors and link checkers use it.
    let router = Router(context: SekishoRequestContext.self, options: .autoGenerateHeadEndpoints)
    if let cache = services.sessions.cache {
        router.addMiddleware { SessionCacheInvalidation(cache: cache) }
    }
    router.addMiddleware {
        RequestLogMiddleware(.info)
        RequestDurationMiddleware(metrics: dependencies.metrics)
        SecurityHeadersMiddleware(formActionSources: services.returnPath.formActionSources)
        ErrorPageMiddleware(renderer: services.renderer, metrics: dependencies.metrics)
        StaticPathGuard(prefix: "/static/")
        FileMiddleware("\(configuration.server.publicDirectory)/static", urlBasePath: "/static", searchForIndexHtml: false)
    }
    HealthRoutes(readiness: services.readiness).register(on: router)
    MetricsRoutes(metrics: dependencies.metrics, outbox: services.outbox, allowed: configuration.metricsAllowed).register(on: router)
    // forward auth (helper)
    ForwardAuthRoutes(service: services.forwardAuth).register(on: router)
    OIDCEndpointRoutes(oidc: services.oidc, maxBodyBytes: configuration.server.maxBodyBytes).register(on: router)

    let pages = router.group().add(
        middleware: WebMiddleware(
            csrf: services.csrf,
            sessions: services.sessions,
            expectedOrigin: services.expectedOrigin,
            maxBodyBytes: configuration.server.maxBodyBytes,
            trustedProxies: configuration.server.trustedProxies
        )
    ).add(middleware: OIDCReturnFormAction(oidc: services.oidc))
    // Each route group gets the services it uses, nothing more; none touches the store.
    let renderer = services.renderer
    LoginRoutes(
        login: services.login,
        passwordless: services.passwordless,
        browsers: services.knownBrowsers,
        returnPath: services.returnPath,
        renderer: renderer
    ).register(on: pages)
    PasswordlessRoutes(passwordless: services.passwordless, browsers: services.knownBrowsers, returnPath: services.returnPath)
        .register(on: pages)
    SetupRoutes(setup: services.setup, mailSettings: services.mailSettings, renderer: renderer).register(on: pages)
    OIDCAuthorizationRoutes(oidc: services.oidc, login: services.login, returnPath: services.returnPath, renderer: renderer)
        .register(on: pages)
    let secondFactor = pages.group("/login", context: SecondFactorContext.self)
    SecondFactorRoutes(
        enrollment: services.enrollment,
        secondFactor: services.secondFactor,
        passkeys: services.passkeys,
        browsers: services.knownBrowsers,
        remembered: services.rememberedBrowsers,
        csrf: services.csrf,
        returnPath: services.returnPath,
        renderer: renderer
    ).register(on: secondFactor)
    ResetRoutes(reset: services.reset, sessions: services.sessions, renderer: renderer).register(secondFactor: secondFactor, pages: pages)
    let signedIn = pages.group(context: SignedInContext.self)
    DashboardRoutes(
        account: services.account,
        authenticators: services.authenticators,
        sessionList: services.sessionList,
        remembered: services.rememberedBrowsers,
        renderer: renderer
    ).register(on: signedIn)
    PasskeyRoutes(passkeys: services.passkeys, browsers: services.knownBrowsers, returnPath: services.returnPath, renderer: renderer)
        .register(account: signedIn, secondFactor: secondFactor)
    AuthenticatorRoutes(authenticators: services.authenticators, sessions: services.sessions, renderer: renderer).register(on: signedIn)
    AdminAPIRoutes(
        admin: services.admin,
        reports: services.reports,
        authentication: APIAuthMiddleware(admin: services.admin, sessions: services.sessions, expectedOrigin: services.expectedOrigin)
    ).register(on: router)
    let admin = pages.group(context: AdminContext.self)
    AdminUserRoutes(
        admin: services.admin,
        reports: services.reports,
        authenticators: services.authenticators,
        mailSettings: services.mailSettings,
        renderer: renderer
    )
    .register(on: admin)
    AdminMailRoutes(mailSettings: services.mailSettings, renderer: renderer).register(on: admin)
    AdminClientRoutes(registration: services.oidcClients, issuer: services.oidc.issuer, renderer: renderer).register(on: admin)
    AdminAuditRoutes(reports: services.reports, renderer: renderer, operatorTime: services.operatorTime).register(on: admin)
    AdminSystemRoutes(
        reports: services.reports,
        outbox: services.outbox,
        mailSettings: services.mailSettings,
        passwordless: services.passwordless,
        clockStatus: dependencies.clockStatus,
        renderer: renderer,
        operatorTime: services.operatorTime
    ).register(on: admin)
    return router
}

/// Puts the configuration file's OpenID clients in the store; a client the file gets wrong stops
/// the start (exit 2, like any other configuration error) rather than serving without it.
private func applyConfiguredOIDCClients(
    _ configured: [ConfiguredOIDCClient],
    _ registration: OIDCClientRegistration,
    logger: Logger
) async throws {
    do {
        let missing = try await registration.applyConfigured(configured)
        logger.info("OpenID clients from the configuration file: \(configured.count)")
        for name in missing {
            logger.warning("oidc.clients lists user \(name), who does not exist: left out until a start after the user is created")
        }
    } catch let refusal as OIDCClientRegistration.Refusal {
        throw StartupError(refusal.description, exitCode: 2)
    }
}
