import Foundation
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
    let enrollment: EnrollmentService
    let secondFactor: SecondFactorService
    let account: AccountService

    static func build(_ dependencies: Dependencies) async throws -> Services {
        let configuration = dependencies.configuration
        let renderer = try await PageRenderer.load(publicDirectory: configuration.server.publicDirectory)
        let store = dependencies.store
        let clock = dependencies.clock
        let box = dependencies.secretBox
        let limiter = AttemptLimiter(store: store, clock: clock, settings: configuration.lockout)
        let notices = NoticeMails(localizer: renderer.localizer, clock: clock)
        // Verified for unknown users so that they cost the same Argon2id work as known ones.
        let dummyHash = try await dependencies.hasher.hash(OpaqueToken.generate().value)
        return Services(
            dependencies: dependencies,
            renderer: renderer,
            csrf: CSRFProtection(secretBox: box),
            sessions: SessionService(store: store, clock: clock, settings: configuration.session, secureCookies: configuration.server.isHTTPS),
            limiter: limiter,
            notices: notices,
            login: LoginService(store: store, hasher: dependencies.hasher, limiter: limiter, clock: clock, dummyHash: dummyHash),
            enrollment: EnrollmentService(store: store, secretBox: box, clock: clock, settings: configuration.totp, limiter: limiter),
            secondFactor: SecondFactorService(
                store: store,
                secretBox: box,
                clock: clock,
                window: configuration.totp.window,
                limiter: limiter,
                notices: notices
            ),
            account: AccountService(
                store: store,
                hasher: dependencies.hasher,
                secretBox: box,
                clock: clock,
                policy: dependencies.passwordPolicy,
                limiter: limiter,
                notices: notices
            )
        )
    }

    var store: any Store { dependencies.store }
    var clock: any WallClock { dependencies.clock }
}
