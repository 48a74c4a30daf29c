import Foundation
import Hummingbird
import Logging
import SekishoStore

/// Builds the whole server. `sekisho serve` and every test call this same function.
public func buildApplication(_ dependencies: Dependencies, logger: Logger) async throws -> some ApplicationProtocol {
    let configuration = dependencies.configuration
    let router = try await buildRouter(dependencies)
    var app = Application(
        router: router,
        configuration: .init(address: .hostname(configuration.server.host, port: configuration.server.port), serverName: "Sekisho"),
        logger: logger
    )
    let store = dependencies.store
    app.beforeServerStarts {
        // Requests are accepted only once the schema is current.
        try await store.migrate()
        logger.info("database ready", metadata: ["database": "\(store.location)"])
    }
    return app
}

/// The routes and middleware, without a server.
func buildRouter(_ dependencies: Dependencies) async throws -> Router<SekishoRequestContext> {
    let services = try await Services.build(dependencies)
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
    SecondFactorRoutes(services: services).register(on: pages.group("/login", context: SecondFactorContext.self))
    DashboardRoutes(services: services).register(on: pages.group(context: SignedInContext.self))
    return router
}
