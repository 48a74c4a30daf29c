import Hummingbird
import NIOCore

/// The request context of every route: Hummingbird's core storage, the client's address, and
/// what `WebMiddleware` learns about a page request (language, CSRF token, session, form).
public struct SekishoRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The TCP peer; proxies' forwarded addresses are only trusted by explicit configuration.
    public let peerAddress: String
    /// The client as lockouts and the audit log count it: the peer, or the address a trusted
    /// proxy forwarded (`server.trusted_proxies`).
    public var clientAddress: String
    var web = WebState()

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        peerAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
        clientAddress = peerAddress
    }

    /// Bodies are refused past this size while being collected (413), before any parsing.
    public var maxUploadSize: Int { 64 * 1024 }
}

/// Per-request facts of a page request, copied into the narrower contexts.
struct WebState: Sendable {
    var language: Language = .en
    var csrfToken = ""
    var session: ActiveSession?
    var form = FormData(fields: [:])

    /// The same state with another CSRF token (the renderer's stand-in for a shared page).
    func withCSRFToken(_ token: String) -> WebState {
        var state = self
        state.csrfToken = token
        return state
    }
}
