import Foundation
import Hummingbird
import Logging
import SekishoStore

/// Builds the whole server. `sekisho serve` and every test call this same function.
public func buildApplication(_ dependencies: Dependencies, logger: Logger) async throws -> some ApplicationProtocol {
    let configuration = dependencies.configuration
    let store = dependencies.store
    // Before anything runs: requests and the outbox worker only ever see the current schema.
    try await store.migrate()
    logger.info("database ready", metadata: ["database": "\(store.location)"])
    let services = try await Services.build(dependencies, logger: logger)
    let router = buildRouter(services)
    var app = Application(
        router: router,
        configuration: .init(address: .hostname(configuration.server.host, port: configuration.server.port), serverName: "Sekisho"),
        logger: logger
    )
    if configuration.mail.transport == .file, try await services.mailSettings.smtpSettings() == nil {
        logger.notice("mail goes to .eml files in \(configuration.mail.directory) (development transport); configure SMTP for real delivery")
    }
    app.addServices(services.outboxWorker(logger: logger))
    return app
}

/// The routes and middleware, without a server.
func buildRouter(_ services: Services) -> Router<SekishoRequestContext> {
    let dependencies = services.dependencies
    let configuration = dependencies.configuration
    let router = Router(context: SekishoRequestContext.self)
    router.addMiddleware {
        LogRequestsMiddleware(.info, includeHeaders: .none)
        SecurityHeadersMiddleware()
        ErrorPageMiddleware(renderer: services.renderer)
        FileMiddleware("\(configuration.server.publicDirectory)/static", urlBasePath: "/static", searchForIndexHtml: false)
    }
    HealthRoutes(store: dependencies.store).register(on: router)

    let expectedOrigin = configuration.server.publicURL.map { url in
        "\(url.scheme ?? "https")://\(url.host ?? "")" + (url.port.map { ":\($0)" } ?? "")
    }
    let pages = router.group().add(
        middleware: WebMiddleware(
            csrf: services.csrf,
            sessions: services.sessions,
            expectedOrigin: expectedOrigin?.lowercased(),
            maxBodyBytes: configuration.server.maxBodyBytes
        )
    )
    LoginRoutes(services: services).register(on: pages)
    let secondFactor = pages.group("/login", context: SecondFactorContext.self)
    SecondFactorRoutes(services: services).register(on: secondFactor)
    ResetRoutes(services: services).register(secondFactor: secondFactor, pages: pages)
    DashboardRoutes(services: services).register(on: pages.group(context: SignedInContext.self))
    return router
}
