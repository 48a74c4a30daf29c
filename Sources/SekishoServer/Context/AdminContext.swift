import Hummingbird
import SekishoStore

/// The context of the admin pages: a fully signed-in administrator (with the second factor when
/// it is on for them). Anyone else signed in gets 403; nobody signed in goes to login; a half-way session
/// (password accepted, code pending) goes to the code page, where an administrator has only the code left to type.
struct AdminContext: ChildRequestContext {
    var coreContext: CoreRequestContextStorage
    let clientAddress: String
    var web: WebState
    let session: ActiveSession

    init(context: SekishoRequestContext) throws {
        guard let session = context.web.session else {
            throw Redirect(to: "/login?rd=%2Fadmin%2Fusers")
        }
        if session.isAwaitingSecondFactor {
            throw Redirect(to: "/login/verify")
        }
        guard session.isSignedIn, session.user.role == .admin else {
            throw PageRefusal(status: .forbidden, messageKey: "error.403.admin", logMessage: "administrators only")
        }
        coreContext = context.coreContext
        clientAddress = context.clientAddress
        web = context.web
        self.session = session
    }

    var actor: AdminService.Actor {
        AdminService.Actor(user: session.user, authenticatedAt: session.record.authenticatedAt, clientAddress: clientAddress, isToken: false)
    }
}
