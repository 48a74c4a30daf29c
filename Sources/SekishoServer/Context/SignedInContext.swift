import Hummingbird

/// The context of routes for people who are fully signed in. It cannot be created for a
/// half-way session (password accepted, code pending): those are sent to the code page.
struct SignedInContext: ChildRequestContext {
    var coreContext: CoreRequestContextStorage
    let clientAddress: String
    var web: WebState
    let session: ActiveSession

    init(context: SekishoRequestContext) throws {
        guard let session = context.web.session else { throw Redirect(to: "/login") }
        guard session.isSignedIn else { throw Redirect(to: "/login/verify") }
        coreContext = context.coreContext
        clientAddress = context.clientAddress
        web = context.web
        self.session = session
    }
}

/// The context of the enrollment and code pages: only a half-way session gets in.
struct SecondFactorContext: ChildRequestContext {
    var coreContext: CoreRequestContextStorage
    let clientAddress: String
    var web: WebState
    let session: ActiveSession

    init(context: SekishoRequestContext) throws {
        guard let session = context.web.session else { throw Redirect(to: "/login?expired=1") }
        guard session.isAwaitingSecondFactor else { throw Redirect(to: "/") }
        coreContext = context.coreContext
        clientAddress = context.clientAddress
        web = context.web
        self.session = session
    }
}
