import Hummingbird
import Logging
import SekishoStore

/// Builds the whole server. `sekisho serve` and every test call this same function.
public func buildApplication(_ dependencies: Dependencies, logger: Logger) -> some ApplicationProtocol {
    let configuration = dependencies.configuration
    let router = buildRouter(dependencies)
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

/// The routes and middleware, without a server; for router-level tests too.
public func buildRouter(_ dependencies: Dependencies) -> Router<SekishoRequestContext> {
    let router = Router(context: SekishoRequestContext.self)
    router.addMiddleware {
        LogRequestsMiddleware(.info, includeHeaders: .none)
        SecurityHeadersMiddleware()
        FileMiddleware("\(dependencies.configuration.server.publicDirectory)/static", urlBasePath: "/static", searchForIndexHtml: false)
    }
    HealthRoutes(store: dependencies.store).register(on: router)
    return router
}
